import { describe, expect, it } from 'vitest';
import type { OnnxNodeDef, PipelineDefinition } from '../../src/definition/types.js';
import { expectProblems, expectValid, requireSharedModels } from './harness.js';

const rule = 'onnx-signature';

/** The node's outputs and, per version, the tensor and column each is read from. */
function bindings(node: OnnxNodeDef | undefined) {
  return {
    outputs: node?.outputs.map((o) => ({ name: o.name, type: o.type })),
    versions: node?.versions.map((v) => ({ name: v.name, outputs: v.outputs, inputs: v.inputs.map((i) => ({ tensor: i.tensor, elementType: i.elementType, width: i.refs.length })) })),
  };
}

/** The ONNX node `id` of the only pipeline loaded. */
const onnxNode = (pipelines: readonly PipelineDefinition[], id: string) =>
  pipelines[0]?.nodes.find((node): node is OnnxNodeDef => node.id === id && node.kind === 'onnx');

describe('ONNX signatures: the example models', () => {
  it('binds inputs by name, feeds Int, Boolean and enum values, and picks a ZipMap class', async () => {
    const pipelines = await expectValid(`
      name: demo
      routingKey: id
      enums:
        Employment: [EMPLOYED, RETIRED]
      input:
        id: { type: ID }
        age: { type: Int }
        income: { type: Float }
        ipMismatch: { type: Boolean }
        employment: { type: Employment }
      nodes:
        affordability:
          kind: onnx
          inputs:
            numeric: [input.income, input.age, input.ipMismatch]
            employment: input.employment
          outputs:
            probability: probability
          versions:
            v1: { model: models/affordability.onnx }
        fraud:
          kind: onnx
          inputs:
            signals: [input.age, input.ipMismatch, affordability.probability]
            applications_30d: input.ipMismatch
          outputs:
            probability: fraud_probability
          versions:
            v1: { model: models/fraud.onnx }
        repayment:
          kind: onnx
          inputs:
            features: [input.age, input.income, input.income, input.income, input.age, input.age, input.income]
          outputs:
            pd: { tensor: output_probability, class: 1 }
            label: output_label
            probabilities: output_probability
          versions:
            v1: { model: models/repayment-v1.onnx }
            v2:
              model: models/repayment-v2.onnx
              inputs:
                features: [input.age, input.income, input.income, input.income, input.age, input.age, input.income, input.age]
      outputs:
        pd: repayment.pd
        fraud: fraud.probability
    `);
    expect(bindings(onnxNode(pipelines, 'repayment'))).toEqual({
      outputs: [
        { name: 'pd', type: { kind: 'scalar', name: 'Float' } },
        { name: 'label', type: { kind: 'scalar', name: 'Int' } },
        { name: 'probabilities', type: { kind: 'list', of: { kind: 'scalar', name: 'Float' } } },
      ],
      versions: ['v1', 'v2'].map((name, index) => ({
        name,
        outputs: [
          { output: 'pd', tensor: 'output_probability', column: 1 },
          { output: 'label', tensor: 'output_label', column: undefined },
          { output: 'probabilities', tensor: 'output_probability', column: undefined },
        ],
        inputs: [{ tensor: 'features', elementType: 'float32', width: 7 + index }],
      })),
    });
  });

  it('reports an input name the model does not have at the key, with its inputs and a suggestion, and not also as unfed', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        thin:
          kind: onnx
          inputs:
            feature: [input.x, input.x, input.x, input.x]
          outputs:
            p: { tensor: probabilities, column: 1 }
          versions:
            v1: { model: models/thin-file.onnx }
      outputs:
        p: thin.p
    `,
      [
        {
          rule,
          path: 'nodes.thin.inputs.feature',
          line: 10,
          column: 7,
          message: 'The model "models/thin-file.onnx" (node "thin", version "v1") has no input "feature". Its inputs: features (float32[?,4]). Did you mean "features"?',
        },
      ],
    );
  });

  it('reports a model input the node does not feed, at the model', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        affordability:
          kind: onnx
          inputs:
            numeric: [input.x, input.x, input.x]
          outputs:
            p: probability
          versions:
            v1: { model: models/affordability.onnx }
      outputs:
        p: affordability.p
    `,
      [
        {
          rule,
          path: 'nodes.affordability.versions.v1.model',
          line: 14,
          column: 20,
          message: 'The model "models/affordability.onnx" (node "affordability", version "v1") needs input "employment" (string[?,1]), but the node does not feed it.',
        },
      ],
    );
  });

  it('reports a feature count that differs from the model’s, per version', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        repayment:
          kind: onnx
          inputs:
            features: [input.x, input.x, input.x, input.x, input.x, input.x]
          outputs:
            pd: { tensor: output_probability, class: 1 }
          versions:
            v1: { model: models/repayment-v1.onnx }
            v2:
              model: models/repayment-v2.onnx
              inputs:
                features: [input.x, input.x, input.x, input.x, input.x, input.x, input.x, input.x, input.x]
      outputs:
        pd: repayment.pd
    `,
      [
        {
          rule,
          path: 'nodes.repayment.inputs.features',
          line: 10,
          column: 7,
          message: 'Input "features" of the model "models/repayment-v1.onnx" (node "repayment", version "v1") takes 7 features (float32[?,7]), but 6 are given.',
        },
        {
          rule,
          path: 'nodes.repayment.versions.v2.inputs.features',
          line: 18,
          column: 11,
          message: 'Input "features" of the model "models/repayment-v2.onnx" (node "repayment", version "v2") takes 8 features (float32[?,8]), but 9 are given.',
        },
      ],
    );
  });

  it('reports a value whose type cannot feed the tensor’s element type, at the value', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
        note: { type: String }
      nodes:
        fraud:
          kind: onnx
          inputs:
            signals: [input.x, input.note, input.x]
            applications_30d: input.x
          outputs:
            p: fraud_probability
          versions:
            v1: { model: models/fraud.onnx }
        affordability:
          kind: onnx
          inputs:
            numeric: [input.x, input.x, input.x]
            employment: input.x
          outputs:
            p: probability
          versions:
            v1: { model: models/affordability.onnx }
      outputs:
        p: fraud.p
    `,
      [
        {
          rule,
          path: 'nodes.fraud.inputs.signals.1',
          line: 11,
          column: 26,
          message: 'Input "signals" of the model "models/fraud.onnx" (node "fraud", version "v1") is float32, but "input.note" is String. Float, Int and Boolean values can feed it.',
        },
        {
          rule,
          path: 'nodes.fraud.inputs.applications_30d',
          line: 12,
          column: 25,
          message: 'Input "applications_30d" of the model "models/fraud.onnx" (node "fraud", version "v1") is int64, but "input.x" is Float. Int and Boolean values can feed it.',
        },
        {
          rule,
          path: 'nodes.affordability.inputs.employment',
          line: 21,
          column: 19,
          message: 'Input "employment" of the model "models/affordability.onnx" (node "affordability", version "v1") is string, but "input.x" is Float. String, ID and enum values can feed it.',
        },
      ],
    );
  });

  it('reports an output tensor the model does not have, with its outputs and a suggestion', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        thin:
          kind: onnx
          inputs:
            features: [input.x, input.x, input.x, input.x]
          outputs:
            p: { tensor: probabilites, column: 1 }
            label: labels
          versions:
            v1: { model: models/thin-file.onnx }
      outputs:
        p: thin.p
    `,
      [
        {
          rule,
          path: 'nodes.thin.outputs.p.tensor',
          line: 12,
          column: 20,
          message: 'The model "models/thin-file.onnx" (node "thin", version "v1") has no output "probabilites". Its outputs: label (int64[?]), probabilities (float32[?,2]). Did you mean "probabilities"?',
        },
        {
          rule,
          path: 'nodes.thin.outputs.label',
          line: 13,
          column: 14,
          message: 'The model "models/thin-file.onnx" (node "thin", version "v1") has no output "labels". Its outputs: label (int64[?]), probabilities (float32[?,2]). Did you mean "label"?',
        },
      ],
    );
  });

  it('reports "class" on an output without class labels, a class that does not exist, and columns that cannot be picked', async () => {
    await expectProblems(
      `
      name: demo
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        thin:
          kind: onnx
          inputs:
            features: [input.x, input.x, input.x, input.x]
          outputs:
            byClass: { tensor: probabilities, class: 1 }
            outOfRange: { tensor: probabilities, column: 2 }
            ofLabel: { tensor: label, column: 0 }
          versions:
            v1: { model: models/thin-file.onnx }
        repayment:
          kind: onnx
          inputs:
            features: [input.x, input.x, input.x, input.x, input.x, input.x, input.x]
          outputs:
            pd: { tensor: output_probability, class: 2 }
          versions:
            v1: { model: models/repayment-v1.onnx }
      outputs:
        pd: repayment.pd
    `,
      [
        {
          rule,
          path: 'nodes.thin.outputs.byClass.class',
          line: 12,
          column: 48,
          message: 'Output "probabilities" of the model "models/thin-file.onnx" (node "thin", version "v1") has no class labels; pick a column with "column" instead of "class".',
        },
        {
          rule,
          path: 'nodes.thin.outputs.outOfRange.column',
          line: 13,
          column: 52,
          message: 'Column 2 is out of range: output "probabilities" of the model "models/thin-file.onnx" (node "thin", version "v1") has 2 columns (float32[?,2]).',
        },
        {
          rule,
          path: 'nodes.thin.outputs.ofLabel.column',
          line: 14,
          column: 41,
          message: 'Output "label" of the model "models/thin-file.onnx" (node "thin", version "v1") is int64[?]: it has no columns to pick from.',
        },
        {
          rule,
          path: 'nodes.repayment.outputs.pd.class',
          line: 22,
          column: 48,
          message: 'The model "models/repayment-v1.onnx" (node "repayment", version "v1") has no class 2 in "output_probability". Its classes: 0, 1.',
        },
      ],
    );
  });
});

describe('ONNX signatures: the real skl2onnx models in ../shared/data/models', () => {
  it('binds the German-credit GradientBoosting pipeline (20 named inputs, ZipMap picked by class)', async () => {
    requireSharedModels();
    const features = {
      duration: 'Int', credit_amount: 'Float', installment_rate: 'Int', residence_since: 'Int', age: 'Int', existing_credits: 'Int', people_liable: 'Int',
      credit_history: 'String', housing: 'String', savings: 'String', telephone: 'String', personal_status_sex: 'String', property: 'String', status: 'String',
      other_debtors: 'String', purpose: 'String', job: 'String', other_installment_plans: 'String', employment: 'String', foreign_worker: 'String',
    };
    const pipelines = await expectValid(`
      name: german
      routingKey: id
      input:
        id: { type: ID }
${Object.entries(features).map(([name, type]) => `        ${name}: { type: ${type} }`).join('\n')}
      nodes:
        credit:
          kind: onnx
          inputs:
${Object.keys(features).map((name) => `            ${name}: input.${name}`).join('\n')}
          outputs:
            good: { tensor: output_probability, class: 1 }
            label: output_label
          versions:
            fintrust: { model: shared/german_credit_gbc_pipeline_zipmap.onnx }
      outputs:
        good: credit.good
    `);
    expect(bindings(onnxNode(pipelines, 'credit'))).toEqual({
      outputs: [
        { name: 'good', type: { kind: 'scalar', name: 'Float' } },
        { name: 'label', type: { kind: 'scalar', name: 'Int' } },
      ],
      versions: [
        {
          name: 'fintrust',
          outputs: [
            { output: 'good', tensor: 'output_probability', column: 1 },
            { output: 'label', tensor: 'output_label', column: undefined },
          ],
          inputs: Object.entries(features).map(([tensor, type]) => ({ tensor, elementType: type === 'String' ? 'string' : 'float32', width: 1 })),
        },
      ],
    });
  });

  it('reports misspelt German-credit inputs (suggesting only inputs not fed yet) and a String fed to a float tensor', async () => {
    requireSharedModels();
    await expectProblems(
      `
      name: german
      routingKey: id
      input:
        id: { type: ID }
        number: { type: Float }
        text: { type: String }
      nodes:
        credit:
          kind: onnx
          inputs:
            purpse: input.text
            telephone_number: input.text
            duration: input.text
            credit_amount: input.number
            installment_rate: input.number
            residence_since: input.number
            age: input.number
            existing_credits: input.number
            people_liable: input.number
            credit_history: input.text
            housing: input.text
            savings: input.text
            telephone: input.text
            personal_status_sex: input.text
            property: input.text
            status: input.text
            other_debtors: input.text
            job: input.text
            other_installment_plans: input.text
            employment: input.text
            foreign_worker: input.text
          outputs:
            good: { tensor: output_probability, class: 1 }
          versions:
            fintrust: { model: shared/german_credit_gbc_pipeline_zipmap.onnx }
      outputs:
        good: credit.good
    `,
      [
        {
          rule,
          path: 'nodes.credit.inputs.purpse',
          line: 11,
          column: 7,
          message:
            'The model "shared/german_credit_gbc_pipeline_zipmap.onnx" (node "credit", version "fintrust") has no input "purpse". Its inputs: duration (float32[?,1]), credit_amount (float32[?,1]), installment_rate (float32[?,1]), residence_since (float32[?,1]), age (float32[?,1]), existing_credits (float32[?,1]), people_liable (float32[?,1]), credit_history (string[?,1]), housing (string[?,1]), savings (string[?,1]), telephone (string[?,1]), personal_status_sex (string[?,1]), property (string[?,1]), status (string[?,1]), other_debtors (string[?,1]), purpose (string[?,1]), job (string[?,1]), other_installment_plans (string[?,1]), employment (string[?,1]), foreign_worker (string[?,1]). Did you mean "purpose"?',
        },
        {
          rule,
          path: 'nodes.credit.inputs.telephone_number',
          line: 12,
          column: 7,
          message:
            'The model "shared/german_credit_gbc_pipeline_zipmap.onnx" (node "credit", version "fintrust") has no input "telephone_number". Its inputs: duration (float32[?,1]), credit_amount (float32[?,1]), installment_rate (float32[?,1]), residence_since (float32[?,1]), age (float32[?,1]), existing_credits (float32[?,1]), people_liable (float32[?,1]), credit_history (string[?,1]), housing (string[?,1]), savings (string[?,1]), telephone (string[?,1]), personal_status_sex (string[?,1]), property (string[?,1]), status (string[?,1]), other_debtors (string[?,1]), purpose (string[?,1]), job (string[?,1]), other_installment_plans (string[?,1]), employment (string[?,1]), foreign_worker (string[?,1]).',
        },
        {
          rule,
          path: 'nodes.credit.inputs.duration',
          line: 13,
          column: 17,
          message: 'Input "duration" of the model "shared/german_credit_gbc_pipeline_zipmap.onnx" (node "credit", version "fintrust") is float32, but "input.text" is String. Float, Int and Boolean values can feed it.',
        },
      ],
    );
  });

  it('picks iris classes from a three-class ZipMap and reports a class it does not have', async () => {
    requireSharedModels();
    await expectProblems(
      `
      name: iris
      routingKey: id
      input:
        id: { type: ID }
        length: { type: Float }
        width: { type: Float }
      nodes:
        species:
          kind: onnx
          inputs:
            X: [input.length, input.width]
          outputs:
            virginica: { tensor: output_probability, class: 2 }
            unknown: { tensor: output_probability, class: 3 }
          versions:
            v1: { model: shared/logreg_iris_zipmap.onnx }
      outputs:
        virginica: species.virginica
    `,
      [
        {
          rule,
          path: 'nodes.species.outputs.unknown.class',
          line: 14,
          column: 53,
          message: 'The model "shared/logreg_iris_zipmap.onnx" (node "species", version "v1") has no class 3 in "output_probability". Its classes: 0, 1, 2.',
        },
      ],
    );
  });

  it('feeds the Titanic pipeline an Int to its int64 input and strings to its string inputs', async () => {
    requireSharedModels();
    const pipelines = await expectValid(`
      name: titanic
      routingKey: id
      enums:
        Port: [C, Q, S]
      input:
        id: { type: ID }
        pclass: { type: Int, min: 1, max: 3 }
        sex: { type: String }
        age: { type: Float }
        fare: { type: Float }
        embarked: { type: Port }
      nodes:
        survival:
          kind: onnx
          inputs:
            pclass: input.pclass
            sex: input.sex
            age: input.age
            fare: input.fare
            embarked: input.embarked
          outputs:
            survived: { tensor: probabilities, column: 1 }
          versions:
            v1: { model: shared/titanic_pipeline_nozipmap.onnx }
      outputs:
        survived: survival.survived
    `);
    expect(bindings(onnxNode(pipelines, 'survival')).versions?.[0]?.inputs).toEqual([
      { tensor: 'pclass', elementType: 'int64', width: 1 },
      { tensor: 'sex', elementType: 'string', width: 1 },
      { tensor: 'age', elementType: 'float32', width: 1 },
      { tensor: 'fare', elementType: 'float32', width: 1 },
      { tensor: 'embarked', elementType: 'string', width: 1 },
    ]);
  });

  it('accepts any feature count where the model leaves the width open (float32[?,?])', async () => {
    requireSharedModels();
    const pipelines = await expectValid(`
      name: trees
      routingKey: id
      input:
        id: { type: ID }
        x: { type: Float }
      nodes:
        trees:
          kind: onnx
          inputs:
            input: [input.x, input.x, input.x]
          outputs:
            positive: { tensor: proba_2, column: 1 }
            all: proba_2
          versions:
            v1: { model: shared/tree_ensemble_binary_tensor.onnx }
      outputs:
        positive: trees.positive
    `);
    expect(bindings(onnxNode(pipelines, 'trees')).outputs).toEqual([
      { name: 'positive', type: { kind: 'scalar', name: 'Float' } },
      { name: 'all', type: { kind: 'list', of: { kind: 'scalar', name: 'Float' } } },
    ]);
  });
});
