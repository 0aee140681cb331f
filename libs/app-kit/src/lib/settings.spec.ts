import { setting } from './settings';

describe('setting.optionalPort', () => {
  const parse = (raw: string | undefined, port = setting.optionalPort()) => port.safeParse(raw);

  it('is off when unset or blank, and takes any port by default, 0 meaning any free one', () => {
    expect(parse(undefined)).toEqual({ success: true, data: undefined });
    expect(parse('  ')).toEqual({ success: true, data: undefined });
    expect(parse('0')).toEqual({ success: true, data: 0 });
    expect(parse(' 9464 ')).toEqual({ success: true, data: 9464 });
    expect(parse('65536').success).toBe(false);
  });

  it('narrowed to [min, max], refuses what lies outside and says the range and the value given', () => {
    const block = setting.optionalPort(1, 65_530);
    expect(parse(undefined, block)).toEqual({ success: true, data: undefined });
    expect(parse('65530', block)).toEqual({ success: true, data: 65_530 });
    for (const raw of ['0', '65531', 'abc', '1e3']) {
      const result = parse(raw, block);
      expect(result.success).toBe(false);
      if (!result.success) expect(result.error.issues[0]?.message).toBe(`must be an integer in [1, 65530], got "${raw}"`);
    }
  });
});

describe('setting.decimal', () => {
  const parse = (raw: string | undefined) => setting.decimal(0, 1, 0.25).safeParse(raw);

  it('takes plain decimals within the range, the fallback when unset or blank', () => {
    expect([parse(undefined), parse(' '), parse('0.7'), parse('.5'), parse('1'), parse(' 0 ')].map((r) => (r.success ? r.data : 'refused'))).toEqual([0.25, 0.25, 0.7, 0.5, 1, 0]);
  });

  it('refuses what lies outside or is not a plain decimal, saying the range and the value given', () => {
    for (const raw of ['1.01', '-0.5', 'abc', '1e-1', '0x1', 'Infinity', '0.5.1']) {
      const result = parse(raw);
      expect(result.success).toBe(false);
      if (!result.success) expect(result.error.issues[0]?.message).toBe(`must be a number in [0, 1], got "${raw}"`);
    }
  });
});
