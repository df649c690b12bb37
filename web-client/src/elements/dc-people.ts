/**
 * <dc-people>: who is in the meeting; the presenter is marked. The presenter (and the
 * meeting's creator) can hand the presenter role to anyone listed.
 *
 * @fires dc-hand-over {HandOver} make this person the presenter
 */
import { LitElement, css, html, nothing } from "lit";
import { customElement, property } from "lit/decorators.js";
import type { Occupant } from "../app/occupants.ts";
import { base } from "./shared-styles.ts";

export interface HandOver {
  nick: string;
}

@customElement("dc-people")
export class DcPeople extends LitElement {
  static override styles = [
    base,
    css`
      :host { display: block; overflow-y: auto; }
      ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.3rem; }
      li { display: flex; align-items: center; gap: 0.5rem; padding: 0.3rem 0.4rem; border-radius: 8px; background: var(--dc-panel-2); min-height: 2.6rem; }
      .name { flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .badge { font-size: 0.72rem; padding: 1px 6px; border-radius: 999px; background: var(--dc-accent); color: #fff; }
      .you { color: var(--dc-dim); font-size: 0.85rem; }
      button { font-size: 0.82rem; padding: 0.2rem 0.5rem; min-height: 2rem; }
    `,
  ];

  @property({ attribute: false }) accessor people: readonly Occupant[] = [];
  /** Nick of the current presenter. */
  @property() accessor presenter: string | null = null;
  /** Whether this person may hand the role over (shows the buttons). */
  @property({ type: Boolean }) accessor canHandOver = false;

  override render() {
    return html`<ul aria-label="People in the meeting">
      ${this.people.map(
        (p) => html`<li>
          <span class="name">${p.nick}</span>
          ${p.self ? html`<span class="you">(you)</span>` : nothing}
          ${p.nick === this.presenter ? html`<span class="badge">Presenter</span>` : nothing}
          ${this.canHandOver && p.nick !== this.presenter
            ? html`<button title="Make ${p.nick} the presenter" @click=${() => this.#handOver(p.nick)}>${p.self ? "Present" : "Make presenter"}</button>`
            : nothing}
        </li>`,
      )}
    </ul>`;
  }

  #handOver(nick: string) {
    this.dispatchEvent(new CustomEvent<HandOver>("dc-hand-over", { detail: { nick }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-people": DcPeople;
  }
  interface HTMLElementEventMap {
    "dc-hand-over": CustomEvent<HandOver>;
  }
}
