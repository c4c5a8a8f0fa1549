import { describe, expect, it } from 'vitest';
import { FLOAT, type InputFieldDef } from '../../src/definition/types.js';
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
