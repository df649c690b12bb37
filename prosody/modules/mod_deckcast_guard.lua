-- mod_deckcast_guard: deckcast's checks at the door of every meeting room.
--
-- Loaded on the MUC host by the config prosody/config.ts renders; every number and error
-- code below comes from that config (the TypeScript constants are the one source of truth),
-- so this file hard-codes no limit. It does three things, each answered with a stanza
-- error that carries deckcast's application condition in urn:deckcast:errors:0:
--
--   * a join or nick change whose nick is longer than `deckcast_max_nick` code points
--     (LIMITS.maxNick) is refused with `bad-nick` (not-acceptable): the protocol's reader
--     refuses such a nick, so a presenter wearing it would break every follower;
--   * a groupchat message whose <body>s hold more than `deckcast_chat_max_body` code points
--     is refused with `too-large` (policy-violation): Prosody 0.12 has no such cap;
--   * each occupant (real bare JID, per room) has a token bucket for groupchat messages:
--     `deckcast_chat_burst` at once, refilled at `deckcast_chat_rate` per second; a message
--     over the limit is not sent to the room and the sender gets `rate-limited`
--     (policy-violation).
--
-- The JIDs in `deckcast_trusted` (the deckcast component's bare domain, which relays every
-- bundle as groupchat) are never limited. Nothing from a refused stanza is echoed back or
-- logged: error replies carry only the error.

local st = require "util.stanza";
local jid = require "util.jid";
local time_now = require "util.time".now;
local new_cache = require "util.cache".new;

local jid_bare, jid_resource = jid.bare, jid.resource;
local math_min, select = math.min, select;

--- Options (all rendered by deckcast; a missing one means the config was not ours) -------

local function required(value, name)
	if value == nil then
		error("mod_deckcast_guard: option " .. name .. " is missing; prosody/config.ts renders it");
	end
	return value;
end

local max_nick = required(module:get_option_number("deckcast_max_nick"), "deckcast_max_nick");
local max_body = required(module:get_option_number("deckcast_chat_max_body"), "deckcast_chat_max_body");
local chat_burst = required(module:get_option_number("deckcast_chat_burst"), "deckcast_chat_burst");
local chat_rate = required(module:get_option_number("deckcast_chat_rate"), "deckcast_chat_rate");
local errors_ns = required(module:get_option_string("deckcast_errors_ns"), "deckcast_errors_ns");
local errors = required(module:get_option("deckcast_errors"), "deckcast_errors");
local trusted = module:get_option_set("deckcast_trusted", {});
-- Buckets kept at most (least recently used dropped first). A dropped bucket had refilled
-- long ago unless this many others talked since, so dropping one loses almost nothing.
local max_buckets = module:get_option_number("deckcast_chat_buckets", 10000);

for _, code in ipairs({ "bad-nick", "too-large", "rate-limited" }) do
	local spec = errors[code];
	if type(spec) ~= "table" or type(spec.type) ~= "string" or type(spec.condition) ~= "string" then
		error("mod_deckcast_guard: deckcast_errors has no type and condition for " .. code);
	end
end

--- Code points ----------------------------------------------------------------------------

-- util.encodings.utf8.length in Prosody 0.12.3 counts bytes, not characters: use Lua's own
-- utf8.len (5.3+), else count the bytes that start a character. The XML parser has already
-- refused invalid UTF-8, so both agree on everything that reaches us.
local utf8_len = utf8 and utf8.len;
local function code_points(s)
	if utf8_len then
		local n = utf8_len(s);
		if n then return n; end
	end
	return select(2, s:gsub("[^\128-\191]", ""));
end

--- Refusing -------------------------------------------------------------------------------

local function refuse(origin, stanza, code, text, by)
	if stanza.attr.type == "error" then return true; end -- never answer an error
	local spec = errors[code];
	local reply = st.error_reply(stanza, spec.type, spec.condition, text, by);
	reply:tag(code, { xmlns = errors_ns }):up();
	origin.send(reply);
	return true;
end

--- Nicks ----------------------------------------------------------------------------------

local function check_nick(event, occupant)
	if not occupant then return; end
	local nick = jid_resource(occupant.nick) or "";
	local length = code_points(nick);
	if length <= max_nick then return; end
	module:log("debug", "refusing a %d-character nick in %s", length, event.room.jid);
	return refuse(event.origin, event.stanza, "bad-nick",
		("The nickname is %d characters long; at most %d are allowed."):format(length, max_nick),
		event.room.jid);
end

-- Priority -1: after Prosody's own nick checks (strict resourceprep, invisible nicks) and any
-- reserved-nick rewrite (priority 0), so the nick checked is the one the room would use.
module:hook("muc-occupant-pre-join", function(event)
	return check_nick(event, event.occupant);
end, -1);

module:hook("muc-occupant-pre-change", function(event)
	return check_nick(event, event.dest_occupant);
end, -1);

--- Chat -----------------------------------------------------------------------------------

local buckets = new_cache(max_buckets);

--- Takes one token from the sender's bucket; false when it is empty.
local function take_token(key)
	local now = time_now();
	local bucket = buckets:get(key);
	if not bucket then
		bucket = { tokens = chat_burst, at = now };
	else
		bucket.tokens = math_min(chat_burst, bucket.tokens + (now - bucket.at) * chat_rate);
		bucket.at = now;
	end
	buckets:set(key, bucket);
	if bucket.tokens < 1 then return false; end
	bucket.tokens = bucket.tokens - 1;
	return true;
end

local function body_length(stanza)
	local total = 0;
	for body in stanza:childtags("body") do
		total = total + code_points(body:get_text() or "");
	end
	return total;
end

-- Priority 10: after the role check (50, which refuses non-occupants and visitors without
-- costing them a token), before subject changes and delivery (0).
module:hook("muc-occupant-groupchat", function(event)
	local sender = jid_bare(event.from or "");
	if trusted:contains(sender) then return; end
	local stanza, room = event.stanza, event.room;

	local length = body_length(stanza);
	if length > max_body then
		module:log("debug", "refusing a %d-character message in %s", length, room.jid);
		return refuse(event.origin, stanza, "too-large",
			("The message is %d characters long; at most %d are allowed."):format(length, max_body));
	end

	if not take_token(room.jid .. " " .. sender) then
		module:log("debug", "rate-limiting a sender in %s", room.jid);
		return refuse(event.origin, stanza, "rate-limited",
			("Too many messages: at most %d at once and %g a second; slow down."):format(chat_burst, chat_rate));
	end
end, 10);

module:log("info", "deckcast guard: nicks up to %d characters, messages up to %d characters, chat %d at once and %g/s",
	max_nick, max_body, chat_burst, chat_rate);
