/**
 * A small XML well-formedness checker for the render specs (no XML parser is
 * installed in the workspace, and the check needed is narrow): one root
 * element, properly nested and closed tags, quoted and unique attributes,
 * only the predefined or numeric entity references, no stray '<' or '&'.
 * Throws an Error with the offset of the first problem; returns the root tag.
 * A leading <?xml ...?> and <!DOCTYPE ...> are accepted, so XHTML-style HTML
 * can be checked too.
 */
const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
const ENTITY = /^&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/;

export function checkWellFormedXml(xml: string): string {
  let i = 0;
  const stack: string[] = [];
  let root: string | null = null;
  const fail = (msg: string): never => {
    throw new Error(`not well-formed XML at ${i}: ${msg} near ${JSON.stringify(xml.slice(i, i + 40))}`);
  };
  const checkText = (s: string) => {
    for (let k = s.indexOf('&'); k !== -1; k = s.indexOf('&', k + 1)) {
      if (!ENTITY.test(s.slice(k))) fail(`bad entity reference in ${JSON.stringify(s.slice(k, k + 12))}`);
    }
  };
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const chunk = lt === -1 ? xml.slice(i) : xml.slice(i, lt);
    if (stack.length === 0 && chunk.trim() !== '') fail('text outside the root element');
    checkText(chunk);
    if (lt === -1) break;
    i = lt;
    const rest = xml.slice(i);
    if (rest.startsWith('<!--')) {
      const end = xml.indexOf('-->', i);
      if (end === -1) fail('unclosed comment');
      i = end + 3;
    } else if (rest.startsWith('<![CDATA[')) {
      const end = xml.indexOf(']]>', i);
      if (end === -1) fail('unclosed CDATA');
      i = end + 3;
    } else if (rest.startsWith('<?') || rest.startsWith('<!DOCTYPE')) {
      if (root !== null) fail('declaration after the root element');
      const end = xml.indexOf('>', i);
      if (end === -1) fail('unclosed declaration');
      i = end + 1;
    } else if (rest.startsWith('</')) {
      const m = NAME.exec(rest.slice(2));
      if (!m) fail('bad end tag');
      const name = (m as RegExpExecArray)[0];
      if (stack.pop() !== name) fail(`unexpected </${name}>`);
      i += 2 + name.length;
      while (/\s/.test(xml[i] ?? '')) i++;
      if (xml[i] !== '>') fail('end tag not closed');
      i++;
    } else {
      const m = NAME.exec(rest.slice(1));
      if (!m) fail("'<' that starts no tag");
      const name = (m as RegExpExecArray)[0];
      if (stack.length === 0 && root !== null) fail('second root element');
      root ??= name;
      i += 1 + name.length;
      const seen = new Set<string>();
      for (;;) {
        const ws = /^\s*/.exec(xml.slice(i)) as RegExpExecArray;
        i += ws[0].length;
        if (xml.startsWith('/>', i)) {
          i += 2;
          break;
        }
        if (xml[i] === '>') {
          stack.push(name);
          i++;
          break;
        }
        if (ws[0].length === 0) fail('attributes must be separated by white space');
        const attr = /^([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("[^"<]*"|'[^'<]*')/.exec(xml.slice(i));
        if (!attr) fail(`bad attribute in <${name}>`);
        const [whole, key, value] = attr as RegExpExecArray;
        if (seen.has(key)) fail(`duplicate attribute ${key}`);
        seen.add(key);
        checkText(value);
        i += whole.length;
      }
    }
  }
  if (stack.length > 0) fail(`unclosed <${stack[stack.length - 1]}>`);
  if (root === null) fail('no root element');
  return root as string;
}
