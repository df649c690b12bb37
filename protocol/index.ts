/**
 * deckcast's protocol layer: the wire model, its XML codec, validation, the shared
 * reducer and the text fallback. Pure: no I/O, clocks or randomness; runs in browsers.
 * docs/protocol.md is the normative description.
 */

export * from "./types.ts";
export { ERRORS, isErrorCode, type ErrorCode, type ErrorSpec, type StanzaErrorType } from "./errors.ts";
export { LIMITS, NS } from "./namespaces.ts";
export { decodeBundle, decodeState, encodeBundle, encodeState } from "./codec.ts";
export { decodeAudioHeader, withAudioHeader } from "./audio-header.ts";
export { EVENT_TYPES, isEventType, validateBundle, validateEvent } from "./validate.ts";
export { apply, applyBundle, initialState } from "./reducer.ts";
export { fallbackBody } from "./fallback.ts";
export { parseXml, tryParseXml } from "./parse.ts";
export { decodeBase64, encodeBase64 } from "./base64.ts";
export { fail, ok } from "./result.ts";
export * from "./stanza-error.ts";
export { CHAT_HISTORY, decodeChatHistory, decodeChatRequest, encodeChatHistory, encodeChatRequest, type ChatEntry, type ChatHistory } from "./chat.ts";
export { DECK_ERROR_CODES, isDeckErrorCode, validateDeckErrorBody, type DeckErrorBody, type DeckErrorCode } from "./deck-errors.ts";
export { DECK_STATES, deckStatusOf, decodeDeckStatus, encodeDeckStatus, encodeDeckStatusJson, validateDeckStatus, type DeckState, type DeckStatus } from "./deck-status.ts";
export { SOURCE_TYPES, validateDeckInfo, type DeckInfo, type SourceType } from "./deck-info.ts";
export { deckInfoUrl, deckPdfUrl, IMAGE_WIDTHS, pageImageUrl, snapWidth, thumbUrl, uploadStatusUrl } from "./deck-urls.ts";
export * from "./archive.ts";
export { decodeRecordingStatus, encodeRecordingStatus, headroomLow, headroomMs, LOW_HEADROOM_MS, RECORDING_STATUS_STATES, recordingStatusOf, type RecordingStatus, type RecordingStatusState } from "./recording-status.ts";
