// The pages' REST calls with the signed-in token in a header (never in a URL): one copy for every page.
// A problem+json answer (RFC 9457) becomes an ApiError whose message is the problem's detail.

/** A refused or failed call: the HTTP status and the problem's sentence. */
export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

function refused(res, data) {
  return new ApiError(res.status, (data && (data.detail || data.title)) || `HTTP ${res.status}`);
}

/** Calls carrying the token `tokenOf()` returns at the time of each call (a refreshed token is used at once). */
export function restClient(tokenOf) {
  const auth = () => ({ Authorization: `Bearer ${tokenOf()}` });
  return {
    /** GET a JSON resource. */
    async api(path) {
      const res = await fetch(path, { headers: auth(), cache: "no-store" });
      const data = res.headers.get("content-type")?.includes("json") ? await res.json() : null;
      if (!res.ok) throw refused(res, data);
      return data;
    },
    /** A JSON call with a method; null for an empty answer (204). */
    async send(method, path, body) {
      const headers = auth();
      if (body !== undefined) headers["Content-Type"] = "application/json";
      const res = await fetch(path, { method, headers, cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body) });
      const raw = await res.text();  // empty on 204
      const data = raw && res.headers.get("content-type")?.includes("json") ? JSON.parse(raw) : null;
      if (!res.ok) throw refused(res, data);
      return data;
    },
    /** A file: the response (its headers and body), or an ApiError with the problem's detail. */
    async fetchRaw(path) {
      const res = await fetch(path, { headers: auth(), cache: "no-store" });
      if (!res.ok) throw refused(res, res.headers.get("content-type")?.includes("json") ? await res.json() : null);
      return res;
    },
  };
}
