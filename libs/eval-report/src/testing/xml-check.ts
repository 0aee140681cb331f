import { XMLValidator } from 'fast-xml-parser';

/** The first element's name, past any declaration, doctype and comment. */
const ROOT_TAG = /^(?:\s*(?:<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<!--[\s\S]*?-->))*\s*<([A-Za-z_:][-A-Za-z0-9_:.]*)/;

/**
 * Checks that the render output is well-formed XML (fast-xml-parser's
 * validator: one root, nested and closed tags, quoted unique attributes, no
 * stray '<' or '&'), so SVG and XHTML-style HTML both parse in any browser.
 * Throws an Error naming the line and column of the first problem; returns
 * the root tag.
 */
export function checkWellFormedXml(xml: string): string {
  const result = XMLValidator.validate(xml);
  if (result !== true) {
    const { msg, line, col } = result.err;
    throw new Error(`not well-formed XML at ${line}:${col}: ${msg}`);
  }
  const root = ROOT_TAG.exec(xml)?.[1];
  if (root === undefined) throw new Error('not well-formed XML: no root element');
  return root;
}
