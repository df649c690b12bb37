/**
 * XML namespaces deckcast speaks, and the protocol's size limits.
 *
 * The limits are the defaults every reader enforces (validate.ts); docs/protocol.md §Limits
 * lists them. They bound what one bundle can make a follower allocate or draw.
 */

export const NS = {
  /** deckcast payloads: <bundle>, <state> and their children. */
  deckcast: "urn:deckcast:0",
  /** Application-specific error conditions (docs/protocol.md §Errors). */
  errors: "urn:deckcast:errors:0",
  /** XEP-0428 Fallback Indication. */
  fallback: "urn:xmpp:fallback:0",
  /** XEP-0334 Message Processing Hints. */
  hints: "urn:xmpp:hints",
  /** XEP-0045 Multi-User Chat. */
  muc: "http://jabber.org/protocol/muc",
  mucUser: "http://jabber.org/protocol/muc#user",
  mucOwner: "http://jabber.org/protocol/muc#owner",
  mucAdmin: "http://jabber.org/protocol/muc#admin",
  /** XEP-0004 Data Forms. */
  dataForms: "jabber:x:data",
  /** RFC 6120 stanza error conditions. */
  stanzas: "urn:ietf:params:xml:ns:xmpp-stanzas",
  /** XEP-0363 HTTP File Upload. */
  upload: "urn:xmpp:http:upload:0",
  /** XEP-0199 XMPP Ping. */
  ping: "urn:xmpp:ping",
} as const;

export const LIMITS = {
  /** Events in one bundle. */
  maxEventsPerBundle: 500,
  /** Numbers in one stroke's points (x and y count separately: 10000 points); a stroke being drawn keeps no more. */
  maxPointNumbers: 20000,
  /** Strokes being drawn at once (the state's `drawing`); a new stroke's points past it are ignored. */
  maxDrawing: 64,
  /** Bytes of Ogg Opus audio in one bundle (before base64). */
  maxAudioBytes: 65536,
  /** Characters (code points) in a session or deck title. */
  maxTitle: 200,
  /** Characters (code points) in an occupant nick. */
  maxNick: 64,
  /** Characters (code points) in a bare JID (RFC 7622: a localpart and a domainpart of 1023 bytes each, and the "@"). */
  maxJid: 2047,
  /** Characters in a stroke id ([A-Za-z0-9_-]). */
  maxStrokeId: 32,
  /** Characters in a bundle id ([A-Za-z0-9_-]). */
  maxBundleId: 64,
  /** Pages in a deck; also the highest page number any event may name. */
  maxPages: 500,
  /** Stroke ids in one ink-erase event. */
  maxErasedStrokes: 1000,
  /** Characters (code points) in a recording failure reason. */
  maxReason: 200,
  /** Line width of a stroke, in ink units. */
  maxWidth: 1000,
  /** Levels of elements in one stanza, the stanza itself counting as 1 (deeper ones are refused whole). */
  maxStanzaDepth: 32,
  /** Characters of element names, attribute names and values and text in one bundle (markup not counted). */
  maxBundleChars: 204800,
  /** How far (ms) a bundle's or event's `t` may run ahead of the session clock (clock skew). */
  maxClockAheadMs: 120000,
} as const;

/**
 * The one bundle size limit, and what each part derives from it, so the presenter, the
 * component and the XMPP server can never disagree (they once said 128 KiB, 200 KiB, 256 KiB
 * without saying why).
 */
export const BUNDLE_SIZE = {
  /** The component refuses a bundle over this (xmlSizeOver: names, attributes, text). */
  component: LIMITS.maxBundleChars,
  /**
   * A presenter splits its bundles so their serialised XML stays under this (128 Ki): 5/8 of
   * the limit, so that what the component measures stays below it even after it adds the
   * stamp (seq, ts, from) and its own pages to the audio.
   */
  presenter: (LIMITS.maxBundleChars * 5) / 8,
  /**
   * The XMPP server's limit on one client stanza, in bytes (256 Ki): the bundle, the IQ around
   * it, and room for text that is not ASCII.
   */
  clientStanzaBytes: (LIMITS.maxBundleChars * 5) / 4,
} as const;
