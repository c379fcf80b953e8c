/** A small Markdown subset: headings, paragraphs, lists, fenced code, links, `code`, *em*, **strong**. */

const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Inline markup, on text already escaped. Links to `page.md` point at `page.html`. */
function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/\*([^*]+)\*/g, "<em>$1</em>")
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_all, label: string, href: string) => {
      // Only relative and http(s) links: a javascript: URL would run in the reader's browser.
      const safe = /^(https?:\/\/|[./#a-zA-Z0-9_-])/.test(href) && !/^[a-z]+:(?!\/\/)/i.test(href) ? href.replace(/\.md(#|$)/, ".html$1") : "#";
      return `<a href="${safe}">${label}</a>`;
    });
}

/** Renders one page; the title is its first heading, else `fallbackTitle`. */
export function renderMarkdown(source: string, fallbackTitle: string, siteTitle: string): { html: string; title: string } {
  const lines = source.replace(/\r\n/g, "\n").split("\n");
  const body: string[] = [];
  let title: string | undefined;
  let paragraph: string[] = [];
  let list: string[] = [];
  const flush = () => {
    if (paragraph.length > 0) body.push(`<p>${inline(paragraph.join(" "))}</p>`);
    if (list.length > 0) body.push(`<ul>\n${list.map((item) => `  <li>${inline(item)}</li>`).join("\n")}\n</ul>`);
    paragraph = [];
    list = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("```")) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++) code.push(lines[i]!);
      body.push(`<pre><code>${escapeHtml(code.join("\n"))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const item = /^\s*[-*]\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      const level = heading[1]!.length;
      title ??= heading[2]!;
      body.push(`<h${level}>${inline(heading[2]!)}</h${level}>`);
    } else if (item) {
      if (paragraph.length > 0) flush();
      list.push(item[1]!);
    } else if (line.trim() === "") flush();
    else {
      if (list.length > 0) flush();
      paragraph.push(line.trim());
    }
  }
  flush();
  const pageTitle = title ?? fallbackTitle;
  const html = [
    "<!doctype html>",
    '<html lang="en">',
    '<head><meta charset="utf-8">',
    `<title>${escapeHtml(pageTitle)} - ${escapeHtml(siteTitle)}</title></head>`,
    "<body>",
    ...body,
    "</body>",
    "</html>",
    "",
  ].join("\n");
  return { html, title: pageTitle };
}
