/**
 * Turns what an assistant writes (markdown, code, links) into text worth hearing.
 * Code is announced rather than read out; links are named by their host.
 */
export function toSpeakableText(input: string): string {
  let text = input.replace(/\r\n?/g, '\n');

  // Fenced code blocks: say that there is code, not the code itself.
  text = text.replace(/^[ \t]*(```|~~~)[ \t]*([\w+#.-]*)[^\n]*\n[\s\S]*?(?:^[ \t]*\1[ \t]*$|(?![\s\S]))/gm, (_m, _fence, lang: string) =>
    lang ? `\n(${spokenLanguage(lang)} code omitted.)\n` : '\n(Code omitted.)\n',
  );
  text = text.replace(/<[^>\n]+>/g, ' '); // HTML tags
  text = text.replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1'); // images → alt text
  text = text.replace(/\[([^\]]+)\]\((?:[^()]|\([^)]*\))*\)/g, '$1'); // links → their text
  text = text.replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1'); // reference links
  text = text.replace(/^[ \t]*\[[^\]]+\]:[ \t]*\S+.*$/gm, ''); // link definitions
  text = text.replace(/\bhttps?:\/\/[^\s<>()]+[^\s<>().,;:!?'"]/gi, (url) => `a link to ${hostOf(url)}`);
  text = text.replace(/\bwww\.[^\s<>()]+[^\s<>().,;:!?'"]/gi, (url) => `a link to ${hostOf(`http://${url}`)}`);
  text = text.replace(/`{1,2}([^`\n]+)`{1,2}/g, '$1'); // inline code
  text = text.replace(/^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$/gm, (_m, heading: string) => endSentence(heading)); // headings
  text = text.replace(/^[ \t]{0,3}>[ \t]?/gm, ''); // block quotes
  text = text.replace(/^[ \t]*([-*_])([ \t]*\1){2,}[ \t]*$/gm, ''); // horizontal rules
  text = text.replace(/^[ \t]*\|?([ \t]*:?-{2,}:?[ \t]*\|)+[ \t]*:?-*:?[ \t]*$/gm, ''); // table separators
  text = text.replace(/^[ \t]*\|(.*)\|[ \t]*$/gm, (_m, row: string) => endSentence(row.split('|').map((cell) => cell.trim()).filter(Boolean).join(', ')));
  text = text.replace(/^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?(.*)$/gm, (_m, item: string) => endSentence(item)); // list items
  text = text.replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '$2'); // bold
  text = text.replace(/(^|[^\w*])[*_](?=\S)([^*_\n]*?\S)[*_](?=[^\w*]|$)/g, '$1$2'); // italics
  text = text.replace(/~~(?=\S)([\s\S]*?\S)~~/g, '$1'); // strikethrough
  text = text.replace(/[*_~`#|]{2,}/g, ' ');

  // Paragraph breaks become sentence breaks so the voice pauses where the reader would.
  const paragraphs = text
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.replace(/\s*\n\s*/g, ' ').replace(/\s{2,}/g, ' ').trim())
    .filter(Boolean);
  return paragraphs.map((paragraph, index) => (index < paragraphs.length - 1 ? endSentence(paragraph) : paragraph)).join(' ').trim();
}

function endSentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  return /[.!?:;…)"'”]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, '');
  } catch {
    return 'a website';
  }
}

const LANGUAGE_NAMES: Record<string, string> = {
  js: 'JavaScript',
  javascript: 'JavaScript',
  ts: 'TypeScript',
  typescript: 'TypeScript',
  py: 'Python',
  python: 'Python',
  sh: 'Shell',
  bash: 'Shell',
  shell: 'Shell',
  json: 'JSON',
  yaml: 'YAML',
  yml: 'YAML',
  sql: 'SQL',
  rs: 'Rust',
  rust: 'Rust',
  go: 'Go',
  hcl: 'Terraform',
  tf: 'Terraform',
  html: 'HTML',
  css: 'CSS',
  diff: 'Diff',
};

function spokenLanguage(lang: string): string {
  return LANGUAGE_NAMES[lang.toLowerCase()] ?? lang;
}
