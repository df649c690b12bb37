/**
 * Layout of <dc-meeting>: on a wide screen the slides fill the left and a side panel
 * (deck, invite, chat, people) sits on the right; below 820 px everything stacks and the
 * page scrolls, with the slide first at full width (a 390 × 844 phone included).
 */
import { css } from "lit";
import { base } from "./shared-styles.ts";

export const meetingStyles = [
  base,
  css`
    :host { display: flex; flex-direction: column; height: 100%; background: var(--dc-bg); }
    .loading { padding: 2rem; color: var(--dc-dim); }
    header { display: flex; align-items: center; justify-content: space-between; gap: 0.75rem; padding: 0.5rem 0.9rem; border-bottom: 1px solid var(--dc-line); background: var(--dc-panel); }
    .title { display: flex; align-items: baseline; gap: 0.75rem; min-width: 0; }
    .title h1 { font-size: 1.1rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .title .dim { font-size: 0.88rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .actions { display: flex; gap: 0.4rem; flex-shrink: 0; }
    button.danger { background: #5a1f27; border-color: #7d2b36; }
    .problem { display: flex; justify-content: space-between; align-items: center; gap: 0.5rem; padding: 0.4rem 0.8rem; background: #3a1c22; color: #ffc9c9; border-bottom: 1px solid #6b2a33; }
    .problem button { min-height: 1.8rem; padding: 0.1rem 0.5rem; }
    .body { flex: 1; display: grid; grid-template-columns: minmax(0, 1fr) 20rem; min-height: 0; }
    .stage-area { display: grid; grid-template-rows: auto minmax(0, 1fr) auto auto; gap: 0.45rem; padding: 0.6rem; min-height: 0; min-width: 0; position: relative; background: var(--dc-bg); }
    .stage-area:fullscreen { padding: 0.3rem; }
    .stage-area:not(:has(dc-ink-toolbar)) { grid-template-rows: minmax(0, 1fr) auto auto; }
    dc-stage { min-height: 12rem; }
    .digits { position: absolute; top: 1rem; left: 50%; transform: translateX(-50%); background: rgb(0 0 0 / 0.75); padding: 0.4rem 0.9rem; border-radius: 8px; font-size: 1.2rem; }
    .nav { display: flex; align-items: center; justify-content: center; gap: 0.75rem; min-height: 2.5rem; flex-wrap: wrap; }
    .nav > button { font-size: 1.3rem; line-height: 1; min-width: 2.75rem; }
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
    dc-thumbs { min-width: 0; }

    @media (max-width: 820px) {
      :host { height: auto; min-height: 100%; }
      .wide { display: none; }
      header { position: sticky; top: 0; z-index: 2; padding: 0.4rem 0.6rem; }
      .title { flex-direction: column; gap: 0; align-items: flex-start; }
      .body { grid-template-columns: 1fr; }
      .stage-area { padding: 0.4rem; grid-template-rows: auto auto auto auto; }
      .stage-area:not(:has(dc-ink-toolbar)) { grid-template-rows: auto auto auto; }
      dc-stage { min-height: 0; aspect-ratio: var(--ratio, 16 / 9); max-height: 70vh; width: 100%; }
      .stage-area:fullscreen dc-stage { aspect-ratio: auto; max-height: none; }
      dc-thumbs { --dc-thumb-height: 48px; }
      aside { border-left: 0; border-top: 1px solid var(--dc-line); }
      .panel { flex: none; }
      .panel { height: 22rem; }
    }
  `,
];
