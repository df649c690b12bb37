/**
 * A meeting with a generated deck open, for tests that record a session and then read it
 * (export, replay): the deck made as a PDF and ingested by the server's deck service, a meeting
 * created by `owner`, who follows its room and presents with a PresenterSender whose session
 * times are the test's own (`send` waits until each change is acknowledged).
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Follower } from "../../client-core/follower.ts";
import { PresenterSender } from "../../client-core/presenter-sender.ts";
import type { DeckEvent, DeckRef } from "../../protocol/types.ts";
import type { DeckService } from "../../server/decks/service.ts";
import { makePdf } from "./decks-pdf.ts";
import { createMeeting, type MeetingRef, type TestClient } from "./xmpp.ts";

export interface PresentedMeeting {
  meeting: MeetingRef;
  sender: PresenterSender;
  /** Sends events (plain objects, as a test writes them) and waits for their acknowledgement. */
  send(events: readonly (DeckEvent | Record<string, unknown>)[]): Promise<void>;
}

export interface PresentedDeck extends PresentedMeeting {
  deck: DeckRef;
}

/** A meeting created by `owner`, who follows its room and presents in it (session time 0). */
export async function presentMeeting(o: { owner: TestClient; component: string; title: string }): Promise<PresentedMeeting> {
  const meeting = await createMeeting(o.owner, o.component, o.title);
  await new Follower(o.owner.xmpp, { room: meeting.room, meeting: meeting.jid, nick: o.owner.jid.split("@")[0]! }).join();
  const sender = new PresenterSender(o.owner.xmpp, { meeting: meeting.jid, clock: () => 0 });
  const send = async (events: readonly (DeckEvent | Record<string, unknown>)[]) => {
    sender.send(events as unknown as DeckEvent[]);
    await sender.flush();
  };
  return { meeting, sender, send };
}

export async function presentDeck(o: { owner: TestClient; decks: DeckService; component: string; dir: string; title: string; pages: string[]; deckTitle: string }): Promise<PresentedDeck> {
  const pdf = path.join(o.dir, `${o.deckTitle.toLowerCase().replace(/[^a-z0-9]+/g, "-")}.pdf`);
  await writeFile(pdf, makePdf(o.pages, { title: o.deckTitle }));
  const ingested = await o.decks.ingest(pdf, { name: path.basename(pdf) });
  if (!ingested.ok) throw new Error(`deck not ingested: ${ingested.error.message}`);
  const deck: DeckRef = { id: ingested.value.id, pages: ingested.value.pages, title: o.deckTitle };
  return { deck, ...(await presentMeeting(o)) };
}
