import { describe, expect, it } from 'vitest';
import { FLOAT, INT, type InputFieldDef } from '../../src/definition/types.js';
import { coerceInput } from '../../src/execution/input.js';

const income: InputFieldDef = { name: 'income', type: FLOAT, description: undefined, default: undefined, min: undefined, max: undefined };

describe('input coercion of a Float', () => {
  it('reads decimal numbers from text (CSV cells), in every form they are written', () => {
    for (const [text, value] of [
      ['1', 1],
      ['-2.5', -2.5],
      ['+3', 3],
      ['.5', 0.5],
      ['7.', 7],
      ['1e3', 1000],
      ['2.5E-2', 0.025],
      [' 42 ', 42],
    ] as const) {
      expect(coerceInput([income], { income: text }, 'text'), text).toEqual({ ok: true, value: { income: value } });
    }
  });

  it('refuses text that is not a decimal number, though JavaScript would read a number from it', () => {
    for (const text of ['0x10', '0b11', '0o7', 'Infinity', '-Infinity', 'NaN', '1,000', '12abc', '1e', 'e5', '--1']) {
      expect(coerceInput([income], { income: text }, 'text'), text).toEqual({
        ok: false,
        problems: [{ field: 'income', rule: 'type', message: `Input field "income" must be a finite number (Float); got ${JSON.stringify(text)}.`, received: text }],
      });
    }
  });

  it('names a number too large for a double as it arrives, not as null', () => {
    expect(coerceInput([income], { income: Number.POSITIVE_INFINITY })).toEqual({
      ok: false,
      problems: [{ field: 'income', rule: 'type', message: 'Input field "income" must be a finite number (Float); got Infinity.', received: Number.POSITIVE_INFINITY }],
    });
  });
});

describe('input coercion of an Int and an ID', () => {
  const field = (name: string, type: InputFieldDef['type']): InputFieldDef => ({ name, type, description: undefined, default: undefined, min: undefined, max: undefined });
  const count = field('count', INT);
  const id = field('id', { kind: 'scalar', name: 'ID' });

  it('takes the whole 32-bit range for an Int, -2^31 included, and gives 0 for -0', () => {
    expect(coerceInput([count], { count: -2147483648 })).toEqual({ ok: true, value: { count: -2147483648 } });
    expect(coerceInput([count], { count: '-2147483648' }, 'text')).toEqual({ ok: true, value: { count: -2147483648 } });
    expect(coerceInput([count], { count: 2147483648 })).toMatchObject({ ok: false, problems: [{ field: 'count', rule: 'type' }] });
    const zero = coerceInput([count], { count: -0 });
    expect(zero.ok && Object.is(zero.value.count, 0)).toBe(true);
  });

  it('takes an integer ID only while a JSON number holds it exactly, and says to quote a longer one', () => {
    expect(coerceInput([id], { id: 9007199254740991 })).toEqual({ ok: true, value: { id: '9007199254740991' } });
    // 12345678901234567890 and …891 both parse as 12345678901234567000: two applicants would share one key.
    expect(coerceInput([id], { id: JSON.parse('12345678901234567891') as number })).toEqual({
      ok: false,
      problems: [
        {
          field: 'id',
          rule: 'type',
          message: 'Input field "id" must be a string, or an integer within ±2^53 (ID; quote a longer one, which a JSON number cannot hold exactly); got 12345678901234567000.',
          received: 12345678901234567000,
        },
      ],
    });
    expect(coerceInput([id], { id: 1.5 })).toMatchObject({ ok: false, problems: [{ field: 'id', rule: 'type' }] });
    expect(coerceInput([id], { id: '12345678901234567891' })).toEqual({ ok: true, value: { id: '12345678901234567891' } });
  });
});
