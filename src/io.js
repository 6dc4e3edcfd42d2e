// The browser I/O the wasm driver awaits, each as one promise: a relay POST under its deadline and
// size cap, one API attempt, a capped body read, timers. Here because each is a few property reads
// and awaits, which cost several times their size as wasm async code and web-sys imports
// (BENCHMARKS.md, "Size techniques"). Nothing here decides the protocol: failures come back as
// numbers (FAIL_* in src/io.rs) that the driver turns into its typed errors.

const TOO_LARGE = 1, NOT_UTF8 = 2, READ_FAILED = 3, TIMED_OUT = 4, UNREACHABLE = 5, BAD_INIT = 6, NOT_JSON = 7;

/** An AbortController that aborts itself after `ms`; `clearDeadline` stops its timer. */
export function deadline(ms) {
  const controller = new AbortController();
  controller.timer = setTimeout(() => controller.abort(), ms);
  return controller;
}

export function clearDeadline(controller) {
  clearTimeout(controller.timer);
}

export function expired(controller) {
  return controller.signal.aborted;
}

const failed = (controller) => (controller.signal.aborted ? TIMED_OUT : UNREACHABLE);

/** The body as text, at most `cap` bytes, refused without buffering more (L15, S9); or a FAIL_*. */
export async function readCapped(response, cap) {
  if (Number(response.headers.get("Content-Length")) > cap) return TOO_LARGE;
  const reader = response.body && response.body.getReader();
  if (!reader) return "";
  const parts = [];
  let size = 0;
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch {
      return READ_FAILED;
    }
    if (chunk.done) break;
    size += chunk.value.length;
    if (size > cap) {
      reader.cancel().catch(() => {});
      return TOO_LARGE;
    }
    parts.push(chunk.value);
  }
  const bytes = new Uint8Array(size);
  size = 0;
  for (const part of parts) {
    bytes.set(part, size);
    size += part.length;
  }
  try {
    // ignoreBOM keeps a leading U+FEFF, as Rust's String::from_utf8 did.
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return NOT_UTF8;
  }
}

/** The body parsed as JSON, read as `readCapped` reads it: [the value], NOT_JSON, or a FAIL_*.
 *  The text stays in JavaScript: a page of megabytes is not copied into wasm memory and back. */
export async function readJson(response, cap) {
  const text = await readCapped(response, cap);
  if (typeof text === "number") return text;
  try {
    return [JSON.parse(text)];
  } catch {
    return NOT_JSON;
  }
}

/** A relay POST with its cookie, `header: 1`, an optional Bearer token and JSON body, under a
 *  deadline of `ms` that covers the body too. Resolves to [status, the answer if it is a JSON
 *  object else null, Retry-After or null], or to a FAIL_*. */
export async function relayPost(url, header, body, bearer, ms, cap) {
  const controller = deadline(ms);
  const headers = { [header]: "1" };
  const init = { method: "POST", credentials: "include", signal: controller.signal, headers };
  if (bearer !== undefined) headers.Authorization = "Bearer " + bearer;
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  try {
    const response = await fetch(url, init);
    const answer = await readJson(response, cap);
    if (answer === READ_FAILED) return failed(controller);
    if (typeof answer === "number" && answer !== NOT_JSON) return answer;
    let json = typeof answer === "number" ? null : answer[0];
    if (typeof json !== "object" || Array.isArray(json)) json = null;
    return [response.status, json, response.headers.get("Retry-After")];
  } catch {
    return failed(controller);
  } finally {
    clearDeadline(controller);
  }
}

/** The caller's request to `url` with the token and `header: 1`, kept as the template of each
 *  attempt; BAD_INIT when `init` is not a RequestInit. */
export function apiRequest(url, init, token, header) {
  let request;
  try {
    request = new Request(url, Object.assign({}, init));
  } catch {
    return BAD_INIT;
  }
  request.headers.set(header, "1");
  setToken(request, token);
  return request;
}

export function setToken(request, token) {
  request.headers.set("Authorization", "Bearer " + token);
}

/** One attempt: a copy of `template` (a body can be read once) with the caller's signal and the
 *  deadline's together (`AbortSignal.any`, so the caller's does not switch the timeout off, L15;
 *  engines without it keep the caller's). Resolves to the Response or to TIMED_OUT/UNREACHABLE;
 *  the caller's own abort, or a signal `Request` refuses, rejects with what was thrown. */
export async function apiAttempt(template, caller, controller) {
  let signal = controller.signal;
  if (caller != null) {
    try {
      signal = AbortSignal.any([caller, signal]);
    } catch {
      signal = caller;
    }
  }
  const request = new Request(template.clone(), { signal });
  try {
    return await fetch(request);
  } catch (error) {
    if (!controller.signal.aborted && caller && caller.aborted) throw error;
    return failed(controller);
  }
}

/** Runs `task(waited)` holding the Web Lock `name`, so one tab refreshes at a time (L14): asked for
 *  if free, else waited for (`waited`: another tab held it, so it was refreshing, S14). Resolves to
 *  [what the task's promise resolved to], or rejects with what it, or the lock request, threw.
 *  Null when no lock could be asked for and the task did not run: no Web Locks, or a cross-site
 *  iframe whose storage the browser blocks (SecurityError). */
export async function withLock(name, task) {
  const locks = typeof navigator === "object" ? navigator.locks : undefined;
  if (!locks || typeof locks.request !== "function") return null;
  let ran = false;
  const run = (waited) => (lock) => {
    if (lock && !ran) {
      ran = true;
      return task(waited);
    }
  };
  try {
    const value = await locks.request(name, { ifAvailable: true }, run(false));
    if (!ran) return [await locks.request(name, run(true))];
    return [value];
  } catch (error) {
    if (ran) throw error;
    return null;
  }
}

/** Resolves after `ms`, or at once when `signal` (if any) aborts or already has. */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const listens = signal && signal.aborted !== true && typeof signal.addEventListener === "function";
    // The caller's signal may live long (one per app): the listener goes when the timer fires.
    const timer = setTimeout(() => {
      if (listens) signal.removeEventListener("abort", early);
      resolve();
    }, ms);
    const early = () => {
      clearTimeout(timer);
      resolve();
    };
    if (signal && signal.aborted === true) early();
    else if (listens) signal.addEventListener("abort", early, { once: true });
  });
}

/** Makes `pages` (the wasm `Pages` object) usable with `for await`. */
export function asyncIterable(pages) {
  pages[Symbol.asyncIterator] = function () {
    return this;
  };
  return pages;
}

// The GraphQL RequestInit: a handful of property writes cost far less here than as wasm calls.
// A number instead of an init names the argument that is wrong.
export function graphqlInit(query, variables) {
  if (typeof query !== "string") return 1;
  if (variables != null && (typeof variables !== "object" || Array.isArray(variables))) return 2;
  let body;
  try {
    body = JSON.stringify(variables == null ? { query } : { query, variables });
  } catch {
    return 3;
  }
  return { method: "POST", body, headers: { "Content-Type": "application/json" } };
}
