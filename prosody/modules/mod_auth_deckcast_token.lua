-- mod_auth_deckcast_token: login tokens for deckcast accounts (docs/protocol.md §Login tokens).
--
-- Loaded on the account host as its auth provider (`authentication = "deckcast_token"`,
-- rendered by prosody/config.ts). It does two things:
--
--   * it is an auth provider that wraps internal_hashed: accounts, passwords, SCRAM,
--     `prosodyctl register` and password changes all go to internal_hashed unchanged; only
--     SASL PLAIN also accepts a valid, unexpired login token of that account in place of
--     the password;
--   * it answers `<iq type="set" to="HOST"><login-token xmlns="urn:deckcast:0"/></iq>` from
--     an account of this host that logged in with its password, with a fresh token
--     (`deckcast_token_bits` random bits) valid `deckcast_token_ttl` seconds (less when the
--     request asks `seconds="N"`), and `<revoke-token xmlns="urn:deckcast:0" token="…"/>`
--     (or `all="true"`) from the same account, which removes tokens.
--
-- A token is a password equivalent: only its SHA-256 is stored (store `deckcast_login_tokens`,
-- one record per account: token id → { hash, expires, created }), it is compared in constant
-- time, and it is never logged. A session that logged in with a token cannot issue another
-- (so a stolen token never outlives its expiry); setting the password (prosodyctl register,
-- passwd) removes every token of the account; revoking a token closes the sessions that
-- logged in with it.
--
-- No passwords in clear from another device: an account login (password or token, any
-- mechanism) on a session that is not secure and whose address is not loopback is refused
-- with SASL `encryption-required` before its credentials are looked at. A WebSocket session's
-- address is the browser's, from the X-Forwarded-For of deckcast's proxy (mod_http's
-- trusted_proxies, prosody/config.ts); it is secure only when the browser used https (the
-- request's own TLS, or X-Forwarded-Proto from the proxy), whatever consider_websocket_secure
-- says. Guests log in on their own host and are not affected.
--
-- Failed logins are limited per address (below, "Failed logins from one address").

local st = require "util.stanza";
local jid = require "util.jid";
local hashes = require "util.hashes";
local random = require "util.random";
local hex = require "util.hex";
local new_sasl = require "util.sasl".new;
local usermanager = require "core.usermanager";

local secure_equals = hashes.equals;
local sha256 = hashes.sha256;
local os_time, tonumber, pairs, next = os.time, tonumber, pairs, next;
local time_now = require "util.time".now; -- seconds, with fractions: the failure bucket drains smoothly

local host = module.host;

--- Options (rendered by deckcast; a missing one means the config was not ours) -------

local function required(value, name)
	if value == nil then
		error("mod_auth_deckcast_token: option " .. name .. " is missing; prosody/config.ts renders it");
	end
	return value;
end

local ttl = required(module:get_option_number("deckcast_token_ttl"), "deckcast_token_ttl");
local max_tokens = required(module:get_option_number("deckcast_token_max"), "deckcast_token_max");
local token_bytes = required(module:get_option_number("deckcast_token_bits"), "deckcast_token_bits") // 8;
local xmlns = required(module:get_option_string("deckcast_ns"), "deckcast_ns");
local fail_burst = required(module:get_option_number("deckcast_login_fail_burst"), "deckcast_login_fail_burst");
local fail_window = required(module:get_option_number("deckcast_login_fail_window"), "deckcast_login_fail_window");
local errors_ns = required(module:get_option_string("deckcast_errors_ns"), "deckcast_errors_ns");

--- The wrapped provider: internal_hashed, loaded on this host but not the host's provider ----

module:depends("auth_internal_hashed");
local inner;
for _, item in ipairs(module:get_host_items("auth-provider")) do
	if item.name == "internal_hashed" then inner = item; end
end
if not inner then error("mod_auth_deckcast_token: internal_hashed did not load"); end

local tokens = module:open_store("deckcast_login_tokens");

--- Tokens -----------------------------------------------------------------------------------

-- "dct1-" .. 16 hex digits of id .. "-" .. 2*token_bytes hex digits of secret.
local PREFIX = "dct1-";

local function parse(token)
	if type(token) ~= "string" or #token > 200 or token:sub(1, #PREFIX) ~= PREFIX then return nil; end
	local id, secret = token:match("^dct1%-(%x+)%-(%x+)$");
	if not id or #id ~= 16 or #secret ~= 2 * token_bytes then return nil; end
	return id, secret;
end

local function hash(secret)
	return sha256(secret, true);
end

--- The account's live tokens (expired ones dropped).
local function live_tokens(username)
	local all = tokens:get(username) or {};
	local now = os_time();
	for id, t in pairs(all) do
		if type(t) ~= "table" or not t.expires or t.expires <= now then all[id] = nil; end
	end
	return all;
end

--- The id of `token` when it is a live token of `username`, else nil.
local function check_token(username, token)
	local id, secret = parse(token);
	if not id then return nil; end
	local record = (tokens:get(username) or {})[id];
	local digest = hash(secret);
	if not record or type(record.hash) ~= "string" then
		secure_equals(digest, digest); -- same work whether or not the id exists
		return nil;
	end
	if not secure_equals(digest, record.hash) then return nil; end
	if not record.expires or record.expires <= os_time() then return nil; end
	return id;
end

local function issue(username, seconds)
	local all = live_tokens(username);
	local count, oldest_id, oldest = 0, nil, nil;
	for id, t in pairs(all) do
		count = count + 1;
		if not oldest or t.created < oldest then oldest_id, oldest = id, t.created; end
	end
	if count >= max_tokens and oldest_id then all[oldest_id] = nil; end -- the oldest makes room
	local id = hex.encode(random.bytes(8));
	local secret = hex.encode(random.bytes(token_bytes));
	local now = os_time();
	all[id] = { hash = hash(secret), created = now, expires = now + seconds };
	local ok, err = tokens:set(username, all);
	if not ok then return nil, err; end
	return PREFIX .. id .. "-" .. secret, now + seconds;
end

--- Closes this account's sessions that logged in with one of `ids` (except `keep`).
local function close_sessions(username, ids, keep)
	local user = prosody.hosts[host].sessions[username];
	if not user then return; end
	for _, session in pairs(user.sessions or {}) do
		if session ~= keep and session.deckcast_token and ids[session.deckcast_token] then
			session:close({ condition = "not-authorized", text = "The login token was revoked." });
		end
	end
end

--- No passwords in clear from another device ------------------------------------------------

local SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl";
local IN_CLEAR = "Logging in with a password from another device needs https; ask the person running deckcast";

local function is_loopback(ip)
	if type(ip) ~= "string" then return false; end
	ip = ip:lower():gsub("^::ffff:", "");
	return ip == "::1" or ip:match("^127%.%d+%.%d+%.%d+$") ~= nil;
end

--- True when the session's stream is protected: TLS on TCP, https for a WebSocket.
local function is_secure(session)
	local request = session.websocket_request;
	if request then return request.secure == true; end
	return session.secure == true;
end

--- Failed logins from one address are limited (LOGIN_FAILURES, protocol/login-token.ts) ----------
--
-- A bucket per address: each failed account login (password or token, any mechanism) fills it
-- by one, and it drains whole in `fail_window` seconds. While one more failure would overflow it, a login from that
-- address is answered `temporary-auth-failure` before its credentials are read, so guessing a
-- password from one address goes no faster than `fail_burst` a `fail_window` (an IPv6
-- address counts in its /64: a host can take any address of its /64). The table is
-- bounded: past MAX_ADDRESSES the drained entries go, then the oldest half.

local TOO_MANY = "Too many failed logins from this address; wait a minute and try again";
local new_ip = require "util.ip".new_ip;

--- The bucket an address counts in: an IPv4 address itself, an IPv6 address's /64 (one host can
--- take any address of its /64 at will, so counting them one by one would count nothing).
local function bucket_of(ip)
	local parsed = new_ip(ip);
	if parsed and parsed.proto == "IPv6" and not ip:lower():match("^::ffff:") then
		return "v6:" .. hex.encode(parsed.packed:sub(1, 8));
	end
	return ip;
end
local MAX_ADDRESSES = 10000;
local failures, failing = {}, 0; -- ip → { level = number, at = seconds }

local function level_of(ip, now)
	local f = failures[ip];
	if not f then return 0; end
	local level = f.level - (now - f.at) * (fail_burst / fail_window);
	if level <= 0 then failures[ip], failing = nil, failing - 1; return 0; end
	return level;
end

local function forget_some(now)
	for ip in pairs(failures) do level_of(ip, now); end
	if failing <= MAX_ADDRESSES then return; end
	local ats = {};
	for _, f in pairs(failures) do ats[#ats + 1] = f.at; end
	table.sort(ats);
	local cut = ats[#ats // 2];
	for ip, f in pairs(failures) do
		if f.at <= cut then failures[ip], failing = nil, failing - 1; end
	end
end

module:hook("authentication-failure", function(event)
	local ip = event.session and event.session.ip;
	if type(ip) ~= "string" then return; end
	ip = bucket_of(ip);
	local now = time_now();
	local level = level_of(ip, now);
	if not failures[ip] then
		failing = failing + 1;
		if failing > MAX_ADDRESSES then forget_some(now); end
	end
	failures[ip] = { level = level + 1, at = now };
end);

module:hook("stanza/" .. SASL_NS .. ":auth", function(event)
	local session = event.origin;
	if session.type ~= "c2s_unauthed" or type(session.ip) ~= "string" then return; end
	-- Refused while one more failure would overflow the bucket: with whole seconds and "level <
	-- burst", a login just after a second ticked over found the bucket a sixth drained and was
	-- let through right after the tenth failure (the login-limit test failed so, once).
	if level_of(bucket_of(session.ip), time_now()) <= fail_burst - 1 then return; end
	module:log("info", "refused a login from %s: too many failed logins", session.ip);
	session.send(st.stanza("failure", { xmlns = SASL_NS }):tag("temporary-auth-failure"):up():tag("text"):text(TOO_MANY));
	return true;
end, 20); -- before the in-clear check and mod_saslauth (priority 0) read anything

module:hook("stanza/" .. SASL_NS .. ":auth", function(event)
	local session = event.origin;
	if session.type ~= "c2s_unauthed" or is_secure(session) or is_loopback(session.ip) then return; end
	module:log("info", "refused a login in clear from %s", tostring(session.ip));
	session.send(st.stanza("failure", { xmlns = SASL_NS }):tag("encryption-required"):up():tag("text"):text(IN_CLEAR));
	return true;
end, 10); -- before mod_saslauth (priority 0) reads the credentials

--- The provider -------------------------------------------------------------------------------

local provider = {};

-- Everything about accounts is internal_hashed's.
for name, f in pairs(inner) do
	if type(f) == "function" then provider[name] = f; end
end

-- A new password (prosodyctl register on an existing account, passwd) ends every token.
function provider.set_password(username, password)
	local ok, err = inner.set_password(username, password);
	if ok then tokens:set(username, nil); end
	return ok, err;
end

function provider.create_user(username, password)
	local ok, err = inner.create_user(username, password);
	if ok then tokens:set(username, nil); end
	return ok, err;
end

function provider.delete_user(username)
	local ok, err = inner.delete_user(username);
	if ok then tokens:set(username, nil); end
	return ok, err;
end

function provider.get_sasl_handler(session)
	local profile = {};
	-- SCRAM and anything else internal_hashed offers, as it offers them.
	for k, v in pairs(inner.get_sasl_handler(session).profile) do profile[k] = v; end
	profile.plain_test = function(_, username, password, realm)
		if session then session.deckcast_token = nil; end
		local id = check_token(username, password);
		if id then
			if session then session.deckcast_token = id; end
			module:log("debug", "login with a token for %s", username);
			return true, true;
		end
		return usermanager.test_password(username, realm, password), true;
	end;
	return new_sasl(host, profile);
end

module:provides("auth", provider);

--- The IQs ------------------------------------------------------------------------------------

local function error_reply(stanza, type, condition, text, code)
	local reply = st.error_reply(stanza, type, condition, text, host);
	if code then reply:tag(code, { xmlns = errors_ns }):up(); end
	return reply;
end

--- The asking account's username when the IQ comes from a logged-in account of this host.
local function asker(event)
	local origin, stanza = event.origin, event.stanza;
	if origin.type ~= "c2s" or origin.host ~= host or not origin.username then return nil; end
	if jid.bare(stanza.attr.from or "") ~= origin.username .. "@" .. host then return nil; end
	return origin.username;
end

module:hook("iq-set/host/" .. xmlns .. ":login-token", function(event)
	local origin, stanza = event.origin, event.stanza;
	local username = asker(event);
	if not username then
		origin.send(error_reply(stanza, "auth", "forbidden", "Only a logged-in account of this server gets login tokens."));
		return true;
	end
	if origin.deckcast_token then
		origin.send(error_reply(stanza, "cancel", "not-allowed", "A session that logged in with a token cannot issue another; log in with the password."));
		return true;
	end
	local seconds = ttl;
	local asked = stanza.tags[1].attr.seconds;
	if asked ~= nil then
		local n = asked:match("^%d+$") and tonumber(asked);
		if not n or n < 1 or n > ttl then
			origin.send(error_reply(stanza, "modify", "bad-request", ("seconds must be a whole number from 1 to %d."):format(ttl), "bad-request"));
			return true;
		end
		seconds = n;
	end
	local token, expires = issue(username, seconds);
	if not token then
		module:log("error", "could not store a login token for %s: %s", username, tostring(expires));
		origin.send(error_reply(stanza, "wait", "internal-server-error", "The token could not be stored."));
		return true;
	end
	module:log("info", "issued a login token for %s, valid %d s", username, seconds);
	origin.send(st.reply(stanza):tag("login-token", { xmlns = xmlns, token = token, expires = ("%d"):format(expires * 1000) }));
	return true;
end);

module:hook("iq-set/host/" .. xmlns .. ":revoke-token", function(event)
	local origin, stanza = event.origin, event.stanza;
	local username = asker(event);
	if not username then
		origin.send(error_reply(stanza, "auth", "forbidden", "Only a logged-in account of this server revokes its login tokens."));
		return true;
	end
	local el = stanza.tags[1];
	local all = live_tokens(username);
	local gone = {};
	if el.attr.all == "true" then
		for id in pairs(all) do gone[id] = true; end
		all = {};
	else
		-- Only the account's own live token is removed; anything else is already not a token.
		local id = check_token(username, el.attr.token);
		if id then
			gone[id] = true;
			all[id] = nil;
		elseif not parse(el.attr.token) then
			origin.send(error_reply(stanza, "modify", "bad-request", "Name the token to revoke, or all=\"true\".", "bad-request"));
			return true;
		end
	end
	local ok, err = tokens:set(username, next(all) and all or nil);
	if not ok then
		module:log("error", "could not revoke login tokens of %s: %s", username, tostring(err));
		origin.send(error_reply(stanza, "wait", "internal-server-error", "The tokens could not be revoked."));
		return true;
	end
	close_sessions(username, gone, origin);
	if next(gone) then module:log("info", "revoked login tokens of %s", username); end
	origin.send(st.reply(stanza));
	return true;
end);

module:log("info", "deckcast login tokens: %d bits, valid %d s, at most %d per account", token_bytes * 8, ttl, max_tokens);
