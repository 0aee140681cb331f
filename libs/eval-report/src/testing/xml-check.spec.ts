import { checkWellFormedXml } from './xml-check';

describe('checkWellFormedXml (the render specs rely on it rejecting bad markup)', () => {
  it('accepts well-formed documents and returns the root', () => {
    expect(checkWellFormedXml('<svg a="1"><g><text>a &amp; b &#955;</text></g><rect/></svg>')).toBe('svg');
    expect(checkWellFormedXml('<!DOCTYPE html>\n<html><!-- c --><p/></html>')).toBe('html');
  });

  it.each([
    ['unclosed tag', '<svg><g></svg>'],
    ['mismatched end', '<svg><g></text></svg>'],
    ['raw ampersand', '<svg>a & b</svg>'],
    ['raw < in text', '<svg>a < b</svg>'],
    ['unquoted attribute', '<svg a=1></svg>'],
    ['duplicate attribute', '<svg a="1" a="2"></svg>'],
    ['two roots', '<a></a><b></b>'],
    ['HTML void element', '<html><meta charset="utf-8"></html>'],
  ])('rejects %s', (_, xml) => {
    expect(() => checkWellFormedXml(xml)).toThrow('not well-formed XML');
  });
});
