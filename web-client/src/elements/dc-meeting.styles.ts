/**
 * Layout of <dc-meeting>, in three shapes:
 * - wide screens: the slides fill the left, a side panel (deck, invite, chat, people) the right;
 * - below 820 px (a 390 × 844 phone): one column that fills the screen: the slide at full
 *   width, its navigation, then the panel taking the rest, so the chat's box is on screen;
 * - a phone on its side (landscape, at most 540 px high): the slide at full height on the
 *   left, everything else (header, tools, navigation, panel) in a column on its right, so
 *   nothing covers the slide. The slide's column is sized from the page's shape (`--ratio`,
 *   set by the element).
 * The stage area's children sit in named grid areas; the "go to page" hint shares the
 * stage's area (at its foot), so it never covers the ink tools above it.
 */
import { css } from "lit";
import { base } from "./shared-styles.ts";

export const meetingStyles = [
  base,
  css`
    :host { display: flex; flex-direction: column; height: 100%; background: var(--dc-bg); }
    .loading { padding: 2rem; color: var(--dc-dim); }
    .closed { display: grid; place-items: center; min-height: 100%; padding: 1rem; grid-column: 1 / -1; grid-row: 1 / -1; }
    .closed p { margin: 0; }
    header { display: flex; align-items: center; justify-content: space-between; gap: 0.75rem; padding: 0.5rem 0.9rem; border-bottom: 1px solid var(--dc-line); background: var(--dc-panel); }
    .title { display: flex; align-items: baseline; gap: 0.75rem; min-width: 0; }
    .title h1 { font-size: 1.1rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .title .dim { font-size: 0.88rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .actions { display: flex; gap: 0.4rem; flex-shrink: 0; align-items: center; }
    button.danger { background: #5a1f27; border-color: #7d2b36; }
    .problem { display: flex; justify-content: space-between; align-items: center; gap: 0.5rem; padding: 0.4rem 0.8rem; background: #3a1c22; color: #ffc9c9; border-bottom: 1px solid #6b2a33; }
    .problem button { min-height: 1.8rem; padding: 0.1rem 0.5rem; }
    .body { flex: 1; display: grid; grid-template-columns: minmax(0, 1fr) 20rem; min-height: 0; }
    .stage-area {
      display: grid; grid-template-rows: auto minmax(0, 1fr) auto auto; grid-template-areas: "tools" "stage" "nav" "thumbs";
      gap: 0.45rem; padding: 0.6rem; min-height: 0; min-width: 0; position: relative; background: var(--dc-bg);
    }
    .stage-area:fullscreen { padding: 0.3rem; }
    .stage-area:not(:has(dc-ink-toolbar)) { grid-template-rows: minmax(0, 1fr) auto auto; grid-template-areas: "stage" "nav" "thumbs"; }
    dc-ink-toolbar { grid-area: tools; }
    dc-stage { grid-area: stage; min-height: 12rem; }
    .nav { grid-area: nav; }
    dc-thumbs { grid-area: thumbs; min-width: 0; }
    .digits {
      grid-area: stage; align-self: end; justify-self: center; margin-bottom: 0.8rem; z-index: 1; pointer-events: none;
      background: rgb(0 0 0 / 0.75); padding: 0.4rem 0.9rem; border-radius: 8px; font-size: 1.2rem;
    }
    /* ‹ status ›: the buttons stay on one row; a long status wraps between them. */
    .nav { display: grid; grid-template-columns: auto minmax(0, max-content) auto; justify-content: center; align-items: center; gap: 0.6rem; min-height: 2.5rem; }
    .nav > button { font-size: 1.3rem; line-height: 1; min-width: 2.75rem; }
    .nav > dc-live-bar, .nav > .where { justify-content: center; text-align: center; min-width: 0; }
    .where { color: var(--dc-dim); }
    aside { display: flex; flex-direction: column; gap: 0.6rem; padding: 0.6rem; border-left: 1px solid var(--dc-line); background: var(--dc-panel); min-height: 0; }
    aside h2 { font-size: 0.95rem; display: inline; }
    .box { background: var(--dc-bg); border: 1px solid var(--dc-line); border-radius: 10px; padding: 0.6rem; display: grid; gap: 0.5rem; }
    summary { cursor: pointer; }
    details:not([open]) { gap: 0; }
    .tabs { display: flex; gap: 0.3rem; }
    .tabs button { flex: 1; }
    .tabs button[aria-selected="true"] { background: var(--dc-accent); border-color: var(--dc-accent); color: #fff; }
    .count { font-size: 0.78rem; }
    .tabs button .count:not(.dim) { background: var(--dc-live); color: #fff; border-radius: 999px; padding: 0 6px; }
    .panel { flex: 1; min-height: 0; display: grid; }

    @media (max-width: 820px) {
      .wide { display: none; }
      header { padding: 0.4rem 0.6rem; }
      .title { flex-direction: column; gap: 0; align-items: flex-start; }
      /* One column as high as the screen; it scrolls only when the panel has more than fits (a presenter's boxes). */
      .body { display: flex; flex-direction: column; overflow-y: auto; }
      .stage-area { flex: none; padding: 0.4rem; grid-template-rows: auto auto auto auto; }
      .stage-area:not(:has(dc-ink-toolbar)) { grid-template-rows: auto auto auto; }
      dc-stage { min-height: 0; aspect-ratio: var(--ratio, 16 / 9); max-height: 50dvh; width: 100%; }
      .stage-area:fullscreen dc-stage { aspect-ratio: auto; max-height: none; }
      dc-thumbs { --dc-thumb-height: 48px; }
      aside { flex: 1 0 auto; border-left: 0; border-top: 1px solid var(--dc-line); }
      .panel { flex: 1 1 0; min-height: 12rem; }
    }

    @media (orientation: landscape) and (max-height: 540px) {
      :host {
        display: grid; height: 100%; overflow: hidden; gap: 0;
        grid-template-columns: minmax(0, calc((100dvh - 0.8rem) * var(--ratio, 1.7778))) minmax(13.5rem, 1fr);
        grid-template-rows: repeat(8, auto) minmax(0, 1fr);
      }
      .wide { display: none; }
      .body, .stage-area:not(:fullscreen) { display: contents; }
      header, dc-recording, dc-connection, dc-presenter-away, .problem, dc-ink-toolbar, .nav, aside { grid-column: 2; grid-row: auto; min-width: 0; }
      dc-recording { border-left: 1px solid var(--dc-line); }
      header { flex-wrap: wrap; gap: 0.4rem; padding: 0.35rem 0.5rem; border-left: 1px solid var(--dc-line); }
      /* The header in three short rows: the title (cut to one line) and who presents beside the
         buttons, then the sound, so the panel below keeps the room for the chat's box. */
      header { display: grid; grid-template-columns: minmax(0, 1fr); grid-auto-columns: auto; column-gap: 0.3rem; row-gap: 0.15rem; align-items: center; }
      header .title, header .actions { display: contents; }
      header h1 { grid-column: 1; grid-row: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      header .title .dim { grid-column: 1; grid-row: 2; }
      header .actions > button { grid-row: 1 / span 2; min-height: 2rem; padding: 0.2rem 0.45rem; }
      header .actions > dc-listen { grid-column: 1 / -1; grid-row: 3; }
      .title { flex-direction: column; gap: 0; align-items: flex-start; }
      dc-ink-toolbar { padding: 0.35rem 0.5rem; gap: 0.3rem; border-left: 1px solid var(--dc-line); background: var(--dc-panel); }
      .nav { padding: 0.2rem 0.4rem; gap: 0.4rem; border-left: 1px solid var(--dc-line); background: var(--dc-panel); }
      aside { grid-row: -2; overflow-y: auto; border-left: 1px solid var(--dc-line); padding: 0.4rem; gap: 0.4rem; }
      .nav > button { min-width: 2.4rem; }
      .nav > dc-live-bar { font-size: 0.88rem; gap: 0.3rem; }
      .tabs button { min-height: 2rem; padding: 0.2rem 0.4rem; white-space: nowrap; }
      .panel { flex: 1 1 0; min-height: 3.5rem; }
      dc-stage { grid-column: 1; grid-row: 1 / -1; min-height: 0; margin: 0.4rem; aspect-ratio: auto; max-height: none; width: auto; }
      .digits { grid-column: 1; grid-row: 1 / -1; margin-bottom: 1.2rem; }
      .stage-area:not(:fullscreen) dc-thumbs { display: none; }
    }
  `,
];
