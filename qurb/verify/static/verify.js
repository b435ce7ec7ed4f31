/* Qurb's receipt verification page (qurb/verify). The compact receipt rides in the URL's
 * fragment, "QC1:" + Base45 (RFC 9285) of a zlib stream (RFC 1950) of a COSE_Sign1 message
 * (RFC 9052) whose payload is a CBOR map (RFC 8949). This script decodes it in the browser,
 * checks its Ed25519 signature with WebCrypto against the receipt keys embedded in the page,
 * shows what the receipt proves, then asks the hub whether it is in the audit log.
 * No library: each decoder is a few lines, and the claim table comes from the page
 * (agent_api/protocol/compact_claims.py), so it cannot drift from the hub's. */
"use strict";

(function () {
  const main = document.getElementById("main");
  const PUBLISHED = JSON.parse(main.dataset.keys);
  const COMPACT = JSON.parse(main.dataset.compact);
  const WORDS = JSON.parse(main.dataset.words);
  const NAMES = new Map(Object.entries(COMPACT.keys).map(([name, n]) => [n, name]));
  const COSE_SIGN1 = 18;
  const EDDSA = -8;
  // Each "%20" of the fragment may be a space the browser encoded or the three characters
  // themselves (Base45 has both); beyond this many, only the first reading is tried.
  const MAX_AMBIGUOUS = 8;

  class Damaged extends Error {}

  // -- Base45 (RFC 9285 §4) ----------------------------------------------------------------
  const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  function base45(text) {
    const out = [];
    for (let i = 0; i < text.length; i += 3) {
      const digits = Array.from(text.slice(i, i + 3), (c) => {
        const v = B45.indexOf(c);
        if (v < 0) throw new Damaged("not base45");
        return v;
      });
      if (digits.length === 3) {
        const n = digits[0] + digits[1] * 45 + digits[2] * 2025;
        if (n > 0xffff) throw new Damaged("base45 out of range");
        out.push(n >> 8, n & 0xff);
      } else if (digits.length === 2) {
        const n = digits[0] + digits[1] * 45;
        if (n > 0xff) throw new Damaged("base45 out of range");
        out.push(n);
      } else {
        throw new Damaged("base45 length");
      }
    }
    return new Uint8Array(out);
  }

  function base64url(text) {
    const plain = text.replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(plain + "=".repeat((4 - (plain.length % 4)) % 4)), (c) =>
      c.charCodeAt(0),
    );
  }

  // -- zlib, by the browser's own DecompressionStream ("deflate" is RFC 1950's zlib) ------
  async function inflate(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  // -- CBOR (RFC 8949): the definite-length subset the hub writes ---------------------------
  function cbor(bytes) {
    let at = 0;
    const need = (n) => {
      if (at + n > bytes.length) throw new Damaged("cbor truncated");
    };
    const argument = (info) => {
      if (info < 24) return info;
      const size = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
      if (!size) throw new Damaged("cbor length");
      need(size);
      let n = 0;
      for (let i = 0; i < size; i += 1) n = n * 256 + bytes[at + i];
      at += size;
      if (!Number.isSafeInteger(n)) throw new Damaged("cbor integer too large");
      return n;
    };
    const item = (depth) => {
      if (depth > 16) throw new Damaged("cbor too deep");
      need(1);
      const head = bytes[at];
      at += 1;
      const major = head >> 5;
      const info = head & 31;
      if (major === 7) {
        const simple = { 20: false, 21: true, 22: null };
        if (!(info in simple)) throw new Damaged("cbor simple value");
        return simple[info];
      }
      const n = argument(info);
      if (major === 0) return n;
      if (major === 1) return -1 - n;
      if (major === 2 || major === 3) {
        need(n);
        const part = bytes.slice(at, at + n);
        at += n;
        return major === 2 ? part : new TextDecoder("utf-8", { fatal: true }).decode(part);
      }
      if (major === 4) return Array.from({ length: n }, () => item(depth + 1));
      if (major === 5) {
        const map = new Map();
        for (let i = 0; i < n; i += 1) {
          const key = item(depth + 1);
          map.set(key, item(depth + 1));
        }
        return map;
      }
      return { tag: n, value: item(depth + 1) }; // major 6
    };
    const value = item(0);
    if (at !== bytes.length) throw new Damaged("cbor trailing bytes");
    return value;
  }

  function cborHead(major, n) {
    if (n < 24) return [(major << 5) | n];
    if (n < 0x100) return [(major << 5) | 24, n];
    if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
    return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  }

  // Sig_structure = ["Signature1", protected, external_aad = h'', payload] (RFC 9052 §4.4)
  function toBeSigned(protectedBytes, payload) {
    const context = new TextEncoder().encode("Signature1");
    return new Uint8Array([
      ...cborHead(4, 4),
      ...cborHead(3, context.length),
      ...context,
      ...cborHead(2, protectedBytes.length),
      ...protectedBytes,
      ...cborHead(2, 0),
      ...cborHead(2, payload.length),
      ...payload,
    ]);
  }

  // -- the claims: compact_claims.decode_claims, for what the page shows ------------------
  const pad = (n, width) => String(n).padStart(width, "0");
  const isInt = (v) => Number.isInteger(v);
  function instant(v) {
    if (isInt(v)) return new Date(v * 1000);
    if (Array.isArray(v) && v.length === 2 && v.every(isInt)) {
      return new Date(v[0] * 1000 + Math.floor(v[1] / 1000));
    }
    return typeof v === "string" ? new Date(v) : v;
  }
  const SHAPES = {
    month: (v) => (isInt(v) && v >= 0 ? `${pad(Math.floor(v / 12), 4)}-${pad((v % 12) + 1, 2)}` : v),
    day: (v) => (isInt(v) ? new Date(v * 86400000).toISOString().slice(0, 10) : v),
    instant,
    hex: (v) => (v instanceof Uint8Array ? Array.from(v, (b) => pad(b.toString(16), 2)).join("") : v),
    registration: (v) => (isInt(v) && v >= 0 ? pad(v, 10) : v),
  };
  const isRun = (run) =>
    Array.isArray(run) &&
    run.length === 4 &&
    run.every(isInt) &&
    run[1] > 0 &&
    run[1] <= COMPACT.max_run &&
    run[2] >= 0 &&
    run[2] < COMPACT.enums.kind.length;
  // A receipt's number and a deposit's envelope label, of the document's own network.
  const NUMBERED = { receipt: "R", deposit: "D" };
  function value(name, v, network) {
    const shape = COMPACT.shapes[name];
    if (shape === "months" && Array.isArray(v)) return v.map(SHAPES.month);
    if (shape === "allocations" && Array.isArray(v) && v.length && v.every(isRun)) {
      // Runs [first month, count, kind, centimes] of consecutive months (compact_claims).
      return v.flatMap(([first, count, kind, amount]) =>
        Array.from({ length: count }, (_, i) => ({
          month: SHAPES.month(first + i),
          kind: COMPACT.enums.kind[kind],
          amount_centimes: amount,
        })),
      );
    }
    if (shape in NUMBERED && isInt(v) && typeof network === "string") {
      return `${NUMBERED[shape]}-${network}-${pad(v, 8)}`;
    }
    const inEnum = (x) => isInt(x) && x >= 0 && x < COMPACT.enums[name].length;
    if (shape === "enum" && inEnum(v)) return COMPACT.enums[name][v];
    if (shape === "enums" && Array.isArray(v) && v.every(inEnum)) {
      return v.map((x) => COMPACT.enums[name][x]);
    }
    if (shape in SHAPES) return SHAPES[shape](v);
    if (v instanceof Map) return claimsOf(v, network);
    if (Array.isArray(v)) return v.map((x) => (x instanceof Map ? claimsOf(x, network) : x));
    return v;
  }
  function claimsOf(map, network) {
    const claims = {};
    for (const [key, v] of map) {
      if (typeof key === "string") claims[key] = v;
      else if (NAMES.has(key)) claims[NAMES.get(key)] = value(NAMES.get(key), v, network);
      else throw new Damaged("unknown claim key");
    }
    return claims;
  }
  function decodeClaims(map) {
    if (!(map instanceof Map)) throw new Damaged("claims are not a map");
    const network = map.get(COMPACT.keys.network) ?? map.get("network");
    const claims = claimsOf(map, network);
    const signed = map.get(COMPACT.keys.signed_at);
    if (Array.isArray(signed) && signed.length === 1 && claims.recorded_at instanceof Date) {
      claims.signed_at = new Date(Math.floor(claims.recorded_at.getTime() / 1000) * 1000 + signed[0] * 1000);
    }
    if (claims.iat === true && claims.recorded_at instanceof Date) {
      claims.iat = Math.floor(claims.recorded_at.getTime() / 1000);
    }
    return claims;
  }

  // -- the signature ----------------------------------------------------------------------
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  async function read(text) {
    if (!text.startsWith(COMPACT.prefix)) throw new Damaged("not a Qurb receipt");
    try {
      const packed = base45(text.slice(COMPACT.prefix.length));
      const cose = cbor(packed[0] === 0x78 ? await inflate(packed) : packed);
      const parts = cose && cose.tag === COSE_SIGN1 ? cose.value : null;
      if (!Array.isArray(parts) || parts.length !== 4) throw new Damaged("not COSE_Sign1");
      const [protectedBytes, , payload, signature] = parts;
      if (![protectedBytes, payload, signature].every((p) => p instanceof Uint8Array)) {
        throw new Damaged("not COSE_Sign1");
      }
      const header = cbor(protectedBytes);
      if (!(header instanceof Map) || header.get(1) !== EDDSA) throw new Damaged("not EdDSA");
      const kid = header.get(4);
      if (!(kid instanceof Uint8Array)) throw new Damaged("no kid");
      return { kid, protectedBytes, payload, signature, claims: decodeClaims(cbor(payload)) };
    } catch (error) {
      // A bad zlib stream, text that is not UTF-8: all of it is a damaged code.
      throw error instanceof Damaged ? error : new Damaged(String(error));
    }
  }

  async function signatureHolds(found) {
    const key = PUBLISHED.find((k) => same(base64url(k.kid).slice(0, COMPACT.kid_bytes), found.kid));
    if (!key) return false;
    const publicKey = await crypto.subtle.importKey("raw", base64url(key.x), { name: "Ed25519" }, false, [
      "verify",
    ]);
    return crypto.subtle.verify(
      { name: "Ed25519" },
      publicKey,
      found.signature,
      toBeSigned(found.protectedBytes, found.payload),
    );
  }

  function readings(fragment) {
    const parts = fragment.split("%20");
    const ambiguous = parts.length - 1;
    if (ambiguous > MAX_AMBIGUOUS) return [parts.join(" ")];
    const out = [];
    // All spaces first: the usual case, a browser encoding the spaces of the QR's text.
    for (let mask = (1 << ambiguous) - 1; mask >= 0; mask -= 1) {
      let text = parts[0];
      for (let i = 0; i < ambiguous; i += 1) text += ((mask >> i) & 1 ? " " : "%20") + parts[i + 1];
      out.push(text);
    }
    return out;
  }

  async function verify(fragment) {
    let readable = null;
    for (const text of readings(fragment)) {
      let found;
      try {
        found = await read(text);
      } catch (error) {
        if (error instanceof Damaged) continue;
        throw error;
      }
      readable = readable || found;
      if (await signatureHolds(found)) return { state: "valid", text, claims: found.claims };
    }
    return { state: readable ? "forged" : "damaged" };
  }

  // -- what the page shows ------------------------------------------------------------------
  const show = (id) => {
    document.getElementById(id).hidden = false;
  };
  function field(name, text) {
    const element = main.querySelector(`[data-field="${name}"]`);
    element.textContent = text;
    element.closest("[data-row]").hidden = false;
  }
  function money(centimes) {
    const units = String(Math.floor(centimes / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0");
    return `${units},${pad(centimes % 100, 2)}\u00a0MAD`;
  }
  const month = (m) => (typeof m === "string" && /^\d{4}-\d{2}$/.test(m) ? `${m.slice(5)}/${m.slice(0, 4)}` : String(m));
  function minute(date) {
    const parts = {};
    new Intl.DateTimeFormat("fr-FR-u-nu-latn", {
      timeZone: "Africa/Casablanca",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(date)
      .forEach((p) => {
        parts[p.type] = p.value;
      });
    return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
  }
  const word = (key, fallback) => WORDS[key] || fallback;

  function present(claims) {
    const kind = claims.kind;
    field("kind", kind === "certificate" ? word(`certificate.${claims.certificate}`, kind) : word(`kind.${kind}`, kind));
    if (isInt(claims.amount_centimes)) field("amount", money(claims.amount_centimes));
    if (Array.isArray(claims.months) && claims.months.every((m) => m && typeof m === "object" && "kind" in m)) {
      field(
        "months",
        claims.months
          .map((m) => (m.kind === "surcharge" ? `${month(m.month)} (${word("month.surcharge", "")})` : month(m.month)))
          .join(", "),
      );
    }
    if (claims.name) field("name", claims.name);
    if (claims.status) field("status", word(`status.${claims.status}`, claims.status));
    if (claims.as_of) field("as_of", month(claims.as_of));
    if (kind === "enrollment") {
      field("category", [claims.category, claims.bracket].filter(Boolean).join(" · "));
      field("coverage_start", month(claims.coverage_start));
    }
    if (claims.reverses) field("reverses", claims.reverses);
    if (kind === "deposit" || kind === "deposit_cancel") presentDeposit(claims);
    field("office", [claims.office, claims.network].filter(Boolean).join(" · "));
    if (claims.recorded_at instanceof Date) field("time", minute(claims.recorded_at));
    field("number", claims.receipt_number || "");
    if (claims.registration_number) field("registration", claims.registration_number);
  }

  // "2026-12-06" as the page writes a day: 06/12/2026.
  const day = (d) => (typeof d === "string" && /^\d{4}-\d{2}-\d{2}$/.test(d) ? d.split("-").reverse().join("/") : String(d));

  function presentDeposit(claims) {
    if (claims.deposit_number) field("deposit_number", claims.deposit_number);
    if (claims.cancels) field("cancels", claims.cancels);
    if (claims.kind !== "deposit") return;
    field("beneficiary", word(`beneficiary.${claims.beneficiary}`, String(claims.beneficiary)));
    field("care_kind", word(`care.${claims.care_kind}`, String(claims.care_kind)));
    field(
      "care_dates",
      claims.care_to && claims.care_to !== claims.care_from
        ? `${day(claims.care_from)} – ${day(claims.care_to)}`
        : day(claims.care_from),
    );
    if (isInt(claims.amount_spent_centimes)) field("amount_spent", money(claims.amount_spent_centimes));
    if (isInt(claims.documents)) field("documents", String(claims.documents));
    if (claims.deadline) field("deadline", day(claims.deadline));
    if (Array.isArray(claims.warnings) && claims.warnings.length) {
      const list = document.getElementById("warning-list");
      for (const code of claims.warnings) {
        const item = document.createElement("li");
        item.textContent = word(`warning.${code}`, String(code));
        item.dataset.warning = String(code);
        list.append(item);
      }
      show("warnings");
    }
  }

  // Where the file is, as the hub answers the holder of the very slip it stored.
  function presentFile(file) {
    const status = document.getElementById("file-status");
    const reason = WORDS[`reason.${file.reason_code}`] || word("reason.other", "");
    // Left-to-right isolates: numbers and amounts read the same way in an Arabic sentence.
    const ltr = (text) => `\u2066${text}\u2069`;
    status.textContent = word(`file.${file.stage}`, file.stage)
      .replace("{date}", ltr(day(file.dated)))
      .replace("{slip}", ltr(file.transmittal || ""))
      .replace("{amount}", isInt(file.reimbursed_centimes) ? ltr(money(file.reimbursed_centimes)) : "")
      .replace("{code}", ltr(file.reason_code || ""))
      .replace("{reason}", reason);
    const bad = ["not_received", "refused", "incomplete", "cancelled"].includes(file.stage);
    status.className = bad ? "stage-bad" : file.stage === "reimbursed" ? "stage-good" : "";
    main.dataset.stage = file.stage; // for the tests
    show("file");
  }

  async function askTheLog(text) {
    const status = document.getElementById("log-status");
    const witnesses = document.getElementById("log-witnesses");
    try {
      const answer = await fetch(main.dataset.standing, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ compact: text }),
        credentials: "omit",
        cache: "no-store",
      });
      if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
      const standing = await answer.json();
      if (standing.deposit) presentFile(standing.deposit);
      if (standing.status === "in_log") {
        status.textContent = word("log.in", "")
          .replace("{index}", standing.index)
          .replace("{size}", standing.checkpoint_size)
          // Left-to-right isolate: a hash reads the same way in an Arabic sentence.
          .replace("{root}", `\u2066${String(standing.checkpoint_root).slice(0, 16)}\u2069`);
        status.className = "in";
        witnesses.textContent = standing.cosignatures
          ? word("log.witnesses", "").replace("{count}", standing.cosignatures)
          : word("log.no_witness", "");
        witnesses.hidden = false;
      } else if (standing.status === "pending") {
        status.textContent = word("log.pending", "");
      } else {
        status.textContent = word("log.missing", "");
        status.className = "missing";
      }
    } catch (error) {
      status.textContent = word("log.offline", "");
    }
    main.dataset.log = "done"; // for the tests: the page has its last word
  }

  async function start() {
    const fragment = window.location.hash.replace(/^#/, "");
    const switcher = document.getElementById("lang-switch");
    switcher.href = switcher.getAttribute("href").split("#")[0] + window.location.hash;
    document.getElementById("checking").hidden = true;
    if (!fragment) {
      show("none");
      main.dataset.verdict = "none";
      return;
    }
    if (!(window.crypto && crypto.subtle && window.DecompressionStream)) {
      show("unsupported");
      main.dataset.verdict = "unsupported";
      return;
    }
    let outcome;
    try {
      outcome = await verify(fragment);
    } catch (error) {
      show("unsupported"); // WebCrypto without Ed25519 (NotSupportedError)
      main.dataset.verdict = "unsupported";
      return;
    }
    main.dataset.verdict = outcome.state;
    if (outcome.state !== "valid") {
      // Damaged or forged, the worker is told the same first: it is not a proof.
      show("forged");
      if (outcome.state === "damaged") show("damaged");
      return;
    }
    present(outcome.claims);
    show("valid");
    await askTheLog(outcome.text);
  }

  window.addEventListener("hashchange", () => window.location.reload());
  start();
})();
