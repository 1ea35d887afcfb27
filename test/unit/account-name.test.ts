import { parseAccountName } from '../../functions/accounts/account-name.js';
import { BadRequestError } from '../../functions/shared/errors.js';

function code(value: unknown): string | undefined {
  try {
    parseAccountName(value);
    return undefined;
  } catch (error) {
    return error instanceof BadRequestError ? error.code : 'unexpected';
  }
}

describe('parseAccountName', () => {
  it('trims and keeps ordinary text of any script, emoji, combining marks and HTML', () => {
    expect(parseAccountName('  Team A \n')).toBe('Team A');
    for (const name of [
      'Équipe Zoë',
      '開発チーム',
      'فريق',
      '🚀 Launch',
      'e\u0301',
      '<b>bold</b> & co',
      'x'.repeat(100),
    ]) {
      expect(parseAccountName(name)).toBe(name);
    }
    expect(parseAccountName('😀'.repeat(100))).toBe('😀'.repeat(100)); // 100 characters, 200 UTF-16 units
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['ESC', 'a\u001bb'],
    ['DEL', 'a\u007fb'],
    ['C1 control', 'a\u0085b'],
    ['right-to-left override', 'a\u202Eb'],
    ['left-to-right isolate', 'a\u2066b'],
    ['zero-width space', 'a\u200Bb'],
    ['zero-width joiner', 'a\u200Db'],
    ['soft hyphen', 'a\u00ADb'],
    ['private use', 'a\uE000b'],
    ['supplementary private use', 'a\u{F0000}b'],
    ['lone high surrogate', 'a\uD800b'],
    ['lone low surrogate', 'a\uDC00b'],
    ['noncharacter', 'a\uFDD0b'],
    ['empty', ''],
    ['only spaces', '   '],
    ['101 characters', 'x'.repeat(101)],
    ['not a string', 42],
  ])('refuses %s with invalid_name', (_label, value) => {
    expect(code(value)).toBe('invalid_name');
  });
});
