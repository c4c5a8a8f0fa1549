import { describe, it } from 'vitest';
import { expectProblems, expectValid } from './harness.js';

const rule = 'input-fields';

describe('input fields rule', () => {
  it('accepts scalar and enum fields whose defaults fit, and an Int or String routing key', async () => {
    await expectValid(`
      name: demo
      routingKey: customer
      enums:
        Tier: [BASIC, GOLD]
      input:
        customer: { type: Int, min: 1 }
        x: { type: Float, min: -1, max: 1, default: 0.5 }
        n: { type: Int, min: 0, max: 10, default: 10 }
        tier: { type: Tier, default: GOLD }
        vip: { type: Boolean, default: false }
        note: { type: String, default: none }
      nodes:
        score:
          kind: expression
          expr: 'input.x + double(input.n) + (input.vip ? 1.0 : 0.0) + (input.tier == "GOLD" ? 1.0 : 0.0)'
      outputs:
        score: score.value
    `);
  });

  it('reports unknown types with the known ones and a suggestion, and nothing more where such a field is read', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      enums:
        Tier: [BASIC, GOLD]
      input:
        id: { type: ID }
        x: { type: float }
        tier: { type: Teir }
      nodes:
        half:
          kind: expression
          expr: input.x / 2.0
        score:
          kind: combiner
          method: mean
          components:
            x: { value: input.x }
      outputs:
        half: half.value
        tier: input.tier
    `,
      [
        { rule, path: 'input.x.type', line: 7, column: 14, message: 'Unknown type "float". Expected one of: Float, Int, String, Boolean, ID, Tier. Did you mean "Float"?' },
        { rule, path: 'input.tier.type', line: 8, column: 17, message: 'Unknown type "Teir". Expected one of: Float, Int, String, Boolean, ID, Tier. Did you mean "Tier"?' },
      ],
    );
  });

  it('reports defaults that do not fit their field', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      enums:
        Tier: [BASIC, GOLD]
      input:
        id: { type: ID }
        low: { type: Float, min: 0, default: -1 }
        high: { type: Int, max: 10, default: 11 }
        fraction: { type: Int, default: 2.5 }
        tier: { type: Tier, default: GLD }
        level: { type: Tier, default: 2 }
        vip: { type: Boolean, default: "yes" }
        note: { type: String, default: 5 }
      nodes:
        low:
          kind: expression
          expr: input.low
      outputs:
        low: low.value
    `,
      [
        { rule, path: 'input.low.default', line: 7, column: 40, message: 'Default of "low" (-1) is below "min" (0).' },
        { rule, path: 'input.high.default', line: 8, column: 40, message: 'Default of "high" (11) is above "max" (10).' },
        { rule, path: 'input.fraction.default', line: 9, column: 35, message: 'Default of "fraction" must be an integer, got the number 2.5.' },
        { rule, path: 'input.tier.default', line: 10, column: 32, message: 'Default of "tier" must be one of BASIC, GOLD, got the string "GLD". Did you mean "GOLD"?' },
        { rule, path: 'input.level.default', line: 11, column: 33, message: 'Default of "level" must be one of BASIC, GOLD, got the number 2.' },
        { rule, path: 'input.vip.default', line: 12, column: 34, message: 'Default of "vip" must be true or false, got the string "yes".' },
        { rule, path: 'input.note.default', line: 13, column: 34, message: 'Default of "note" must be a string, got the number 5.' },
      ],
    );
  });

  it('reports min above max, fractional Int bounds and bounds on fields that are not numbers', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID, max: 10 }
        x: { type: Float, min: 10, max: 1 }
        n: { type: Int, min: 0.5 }
        note: { type: String, min: 1 }
      nodes:
        half:
          kind: expression
          expr: input.x / 2.0
      outputs:
        half: half.value
    `,
      [
        { rule, path: 'input.id.max', line: 4, column: 24, message: '"max" applies to Float and Int fields; "id" is ID.' },
        { rule, path: 'input.x.max', line: 5, column: 35, message: '"max" (1) is below "min" (10).' },
        { rule, path: 'input.n.min', line: 6, column: 24, message: '"min" of Int field "n" must be an integer, got 0.5.' },
        { rule, path: 'input.note.min', line: 7, column: 30, message: '"min" applies to Float and Int fields; "note" is String.' },
      ],
    );
  });

  it('reports a routing key that is not an input field, with a suggestion', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: customerID
      input:
        customerId: { type: ID }
        x: { type: Float }
      nodes:
        half:
          kind: expression
          expr: input.x / 2.0
      outputs:
        half: half.value
    `,
      [{ rule, path: 'routingKey', line: 2, column: 13, message: 'Routing key "customerID" is not an input field. Expected one of: customerId, x. Did you mean "customerId"?' }],
    );
  });

  it('reports a routing key of a type that cannot identify a unit', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: x
      input:
        x: { type: Float }
      nodes:
        half:
          kind: expression
          expr: input.x / 2.0
      outputs:
        half: half.value
    `,
      [{ rule, path: 'routingKey', line: 2, column: 13, message: 'Routing key "x" is Float; it must be ID, String or Int to identify a unit.' }],
    );
  });
});
