/** A readable API reference rendered from the OpenAPI document itself, with no scripts or CDN. */
type Operation = {
  summary?: string;
  description?: string;
  "x-role"?: string;
  parameters?: {
    name: string;
    in: string;
    required?: boolean;
    schema?: { type?: string; enum?: string[] };
    description?: string;
  }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
};

const escape = (text: string) =>
  text.replace(
    /[&<>"]/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch] as string,
  );

export function renderDocsPage(doc: {
  info: { title: string; version: string };
  paths?: Record<string, Record<string, Operation>>;
}): string {
  const sections = Object.entries(doc.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const params = (op.parameters ?? [])
        .map(
          (p) =>
            `<li><code>${escape(p.name)}</code> (${p.in}${p.required ? ", required" : ""}${p.schema?.enum ? `: ${p.schema.enum.map(escape).join(" | ")}` : p.schema?.type ? `: ${p.schema.type}` : ""})${p.description ? ` — ${escape(p.description)}` : ""}</li>`,
        )
        .join("");
      const body = op.requestBody?.content?.["application/json"]?.schema;
      const responses = Object.entries(op.responses ?? {})
        .map(([status, r]) => `<li><code>${status}</code> ${escape(r.description ?? "")}</li>`)
        .join("");
      return `<section><h2><span class="m ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h2>
<p>${escape(op.summary ?? "")}${op.description ? `. ${escape(op.description)}` : ""}</p>
<p class="role">role: <b>${escape(op["x-role"] ?? "none")}</b></p>
${params ? `<h3>Parameters</h3><ul>${params}</ul>` : ""}
${body ? `<h3>Body</h3><pre>${escape(JSON.stringify(body, null, 2))}</pre>` : ""}
<h3>Responses</h3><ul>${responses}</ul></section>`;
    }),
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)} API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:860px;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ddd;padding:.5rem 0}h2{font-size:1.1rem}.m{display:inline-block;min-width:4rem;font-size:.8rem;padding:.1rem .4rem;border-radius:3px;color:#fff;background:#555}
.get{background:#2f6fdf}.post{background:#1f9d55}pre{background:#f6f6f6;padding:.5rem;overflow:auto}.role{color:#555}</style></head>
<body><h1>${escape(doc.info.title)} <small>${escape(doc.info.version)}</small></h1>
<p>Send <code>Authorization: Bearer &lt;token&gt;</code> with a token from <code>CODER_DX_API_TOKENS</code>. Roles: viewer &lt; operator &lt; admin.
Every error is <code>{"error": {"code", "message", "requestId"}}</code>. The machine-readable document is at <a href="/openapi.json">/openapi.json</a>.</p>
${sections.join("\n")}</body></html>`;
}
