/** Styles every deckcast element shares: colours, buttons, fields. */
import { css } from "lit";

export const base = css`
  :host {
    --dc-bg: #10131c;
    --dc-panel: #1a1f2c;
    --dc-panel-2: #232a3b;
    --dc-line: #30384c;
    --dc-text: #eef1f8;
    --dc-dim: #a8b1c4;
    --dc-accent: #3d6bf5;
    --dc-accent-2: #5b83ff;
    --dc-live: #e5484d;
    --dc-ok: #2fa36b;
    --dc-warn: #e2a336;
    color: var(--dc-text);
    font: inherit;
    box-sizing: border-box;
  }
  *, *::before, *::after { box-sizing: inherit; }
  [hidden] { display: none !important; }
  button {
    font: inherit; color: var(--dc-text); background: var(--dc-panel-2); border: 1px solid var(--dc-line);
    border-radius: 8px; padding: 0.45rem 0.8rem; cursor: pointer; min-height: 2.25rem;
  }
  button:hover:not(:disabled) { border-color: var(--dc-accent-2); }
  button:focus-visible, input:focus-visible, a:focus-visible { outline: 2px solid var(--dc-accent-2); outline-offset: 2px; }
  button:disabled { opacity: 0.5; cursor: default; }
  button.primary { background: var(--dc-accent); border-color: var(--dc-accent); color: #fff; font-weight: 600; }
  button.primary:hover:not(:disabled) { background: var(--dc-accent-2); }
  input[type="text"], input[type="password"], input:not([type]) {
    font: inherit; color: var(--dc-text); background: var(--dc-bg); border: 1px solid var(--dc-line);
    border-radius: 8px; padding: 0.55rem 0.7rem; width: 100%; min-height: 2.5rem;
  }
  label { display: grid; gap: 0.3rem; color: var(--dc-dim); font-size: 0.9rem; }
  .error { color: #ffb4b4; background: #3a1c22; border: 1px solid #6b2a33; border-radius: 8px; padding: 0.55rem 0.75rem; }
  .card {
    background: var(--dc-panel); border: 1px solid var(--dc-line); border-radius: 14px; padding: 1.5rem;
    width: min(26rem, 100%); display: grid; gap: 1rem;
  }
  h1, h2 { margin: 0; line-height: 1.2; }
  .dim { color: var(--dc-dim); }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
