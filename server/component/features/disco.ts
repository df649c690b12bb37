/**
 * Service discovery (XEP-0030) for the component: what it is and what it speaks, so clients
 * can find deck upload (XEP-0363 §Discovering support, with the size limit as a XEP-0128
 * form) and the deckcast protocol version without configuration.
 */
import xml from "@xmpp/xml";
import { NS } from "../../../protocol/namespaces.ts";
import type { ComponentLink } from "../link.ts";
import type { Meetings } from "../meetings.ts";

const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";

export function setupDisco({ link, meetings, maxUploadBytes }: { link: ComponentLink; meetings: Meetings; maxUploadBytes?: number }) {
  link.onIq("get", NS_DISCO_INFO, "query", (req) => {
    if (req.local !== "") {
      const m = meetings.get(req.local);
      if (!m) return undefined; // → service-unavailable, as for any unknown entity
      return xml("query", { xmlns: NS_DISCO_INFO },
        xml("identity", { category: "component", type: "generic", name: m.state.title || "deckcast meeting" }),
        xml("feature", { var: NS.deckcast }),
      );
    }
    const query = xml("query", { xmlns: NS_DISCO_INFO },
      xml("identity", { category: "component", type: "generic", name: "deckcast" }),
      xml("identity", { category: "store", type: "file", name: "deckcast deck upload" }),
      xml("feature", { var: NS_DISCO_INFO }),
      xml("feature", { var: NS.deckcast }),
      xml("feature", { var: NS.upload }),
    );
    if (maxUploadBytes !== undefined) {
      query.append(xml("x", { xmlns: NS.dataForms, type: "result" },
        xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, NS.upload)),
        xml("field", { var: "max-file-size" }, xml("value", {}, String(maxUploadBytes))),
      ));
    }
    return query;
  });
}
