/**
 * Why the microphone could not be used, in plain words. Browsers only give the microphone
 * to secure pages: https, or http on this computer (localhost). A presenter who opened
 * deckcast by a LAN address over plain http is refused before any prompt (FACTS.md).
 */

export function micProblem(err: unknown): string {
  const name = (err as { name?: string })?.name ?? "";
  if (typeof window !== "undefined" && !window.isSecureContext) {
    return "The microphone only works on a secure page: open deckcast over https, or on this computer at localhost. (Listening works from any address.)";
  }
  switch (name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
      return "The browser was not allowed to use the microphone. Allow it in the site settings (the icon left of the address) and switch it on again.";
    case "NotFoundError":
    case "DevicesNotFoundError":
      return "No microphone was found. Plug one in and switch it on again.";
    case "NotReadableError":
    case "TrackStartError":
      return "The microphone could not be opened: another program may be using it.";
    case "OverconstrainedError":
      return "That microphone is not available any more. Pick another one.";
    case "AbortError":
      return "The microphone stopped while starting. Switch it on again.";
  }
  if (typeof AudioWorkletNode === "undefined" || typeof WebAssembly === "undefined") {
    return "This browser cannot record audio for deckcast. Use a current Chrome, Edge, Firefox or Safari.";
  }
  const message = (err as { message?: string })?.message;
  return `The microphone could not be started${message ? ` (${message})` : ""}.`;
}
