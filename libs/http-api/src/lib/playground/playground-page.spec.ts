import { PLAYGROUND_HEADERS, playgroundPage } from './playground-page';

describe('playgroundPage', () => {
  const page = playgroundPage({ modelId: 'relayllm', defaultMaxTokens: 128, examples: ['Compute 2+3.', 'x</script><script>alert(1)</script>'] });

  it('is one self-contained page: style, script and configuration inlined, nothing left to fill in', () => {
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).not.toContain('PLAYGROUND_');
    expect(page).toContain('mark.llm {');
    expect(page).toContain('function playground()');
  });

  it('references nothing outside this origin: no URL, no src or href to a file', () => {
    expect(page).not.toMatch(/https?:\/\//);
    expect(page).not.toMatch(/\b(src|href)=["'](?!data:)/);
    expect(page).not.toMatch(/@import|url\(/);
    expect(page).not.toMatch(/fetch\((?!['"]\/v1\/)/);
  });

  it('embeds its configuration as JSON that cannot close the script element', () => {
    const json = /<script type="application\/json" id="playground-config">(.*?)<\/script>/s.exec(page)?.[1] ?? '';
    expect(JSON.parse(json)).toEqual({ modelId: 'relayllm', defaultMaxTokens: 128, examples: ['Compute 2+3.', 'x</script><script>alert(1)</script>'] });
    expect(page.match(/<\/script>/g)).toHaveLength(2);
  });

  it('is served with a policy that lets the browser load nothing from elsewhere', () => {
    expect(PLAYGROUND_HEADERS['content-security-policy']).toMatch(/default-src 'none'.*connect-src 'self'/);
  });
});
