import { afterHashes, extractPrediction, goldAnswer, grade, lastBoxed, lastNumber, normaliseAnswer } from './graders';

describe('normaliseAnswer', () => {
  it.each([
    ['1785', '1785'],
    ['1,785', '1785'],
    ['1,234,567', '1234567'],
    ['+42', '42'],
    ['-42', '-42'],
    ['−42', '-42'],
    ['-0', '0'],
    ['007', '7'],
    ['1785.0', '1785'],
    ['1785.50', '1785.5'],
    ['$1,785$', '1785'],
    ['\\$ 12', '12'],
    [' 12 ', '12'],
    ['12.', '12'],
    ['3/4', '3/4'],
    ['6/8', '3/4'],
    ['8/4', '2'],
    ['\\frac{3}{4}', '3/4'],
    ['\\dfrac{6}{8}', '3/4'],
    ['\\tfrac12', '1/2'],
    ['-\\frac{3}{4}', '-3/4'],
    ['\\frac{-3}{4}', '-3/4'],
    ['\\left( 3 \\right)', '3'],
    ['\\text{East}', 'east'],
    ['x + 1', 'x+1'],
  ])('%s -> %s', (raw, expected) => {
    expect(normaliseAnswer(raw)).toBe(expected);
  });
});

describe('extraction', () => {
  it('takes the LAST \\boxed{}, with nested braces', () => {
    expect(lastBoxed('first \\boxed{1} then \\boxed{\\frac{1}{2}} done')).toBe('\\frac{1}{2}');
    expect(lastBoxed('no box')).toBeUndefined();
    expect(lastBoxed('\\boxed{12')).toBeUndefined();
  });

  it('reads what follows the last #### on its line', () => {
    expect(afterHashes('work\n#### 1,785\n')).toBe('1,785');
    expect(afterHashes('#### 1\n#### 2')).toBe('2');
    expect(afterHashes('#### ')).toBeUndefined();
  });

  it('finds the last number (signs, separators, decimals, fractions)', () => {
    expect(lastNumber('37*48=1776, +15-6 = 1785.')).toBe('1785');
    expect(lastNumber('it is -3/4')).toBe('-3/4');
    expect(lastNumber('total 1,234.5 apples')).toBe('1,234.5');
    expect(lastNumber('none')).toBeUndefined();
  });

  it.each([
    ['so \\boxed{12} but 13', '12', 'boxed'],
    ['#### 12\nthen 13', '12', 'hashes'],
    ['=1776\n=1791\n=1785', '1785', 'last_number'],
    ['nothing here', '', 'none'],
  ])('prediction order: boxed, ####, last number (%s)', (text, predicted, method) => {
    expect(extractPrediction(text)).toEqual({ predicted, method });
  });
});

describe('grade and goldAnswer', () => {
  it.each([
    ['1785', '=1776\n=1791\n=1785', true],
    ['1785', '=1785\n=1786', false],
    ['Natalia sold 48/2 = 24 clips.\n#### 72', 'The answer is 72.', true],
    ['... so the answer is $\\boxed{\\frac{3}{4}}$.', 'I get \\boxed{\\dfrac{6}{8}}', true],
    ['\\boxed{1,000}', '#### 1000.0', true],
    ['12', '', false],
    ['-5', 'answer: −5', true],
  ])('gold %j vs %j -> %s', (answer, text, correct) => {
    expect(grade(text, goldAnswer(answer)).correct).toBe(correct);
  });

  it('an empty prediction is never correct, even against an empty-looking gold', () => {
    expect(grade('no digits', goldAnswer('')).correct).toBe(false);
  });
});
