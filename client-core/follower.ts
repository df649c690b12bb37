/**
 * Following a live meeting over XMPP: the meeting view (meeting-view.ts) over the live room
 * (live-room.ts), with the names a follower uses (join, leave, state). What the phone
 * bridge, tests and scripts use to follow a room; the web client adds the presenter's part.
 */
import type { RoomState } from "../protocol/types.ts";
import { LiveRoomSource, type LiveRoomOptions } from "./live-room.ts";
import { MeetingView } from "./meeting-view.ts";
import type { XmppLike } from "./xmpp-like.ts";

export type FollowerOptions = LiveRoomOptions;

export class Follower extends MeetingView {
  constructor(xmpp: XmppLike, opts: FollowerOptions) {
    super(new LiveRoomSource(xmpp, opts), opts.timers ? { timers: opts.timers } : {});
  }

  /** The confirmed room: every relayed bundle applied in order (null before join). */
  get state(): RoomState | null {
    return this.confirmed;
  }

  /** Joins the room and loads the current state. */
  join(): Promise<RoomState> {
    return this.open();
  }

  leave(): Promise<void> {
    return this.close();
  }
}
