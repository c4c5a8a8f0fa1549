import { assertPipelines, releasePipelines } from '../definition/load.js';
import type { PipelineDefinition } from '../definition/types.js';
import { refToString } from '../definition/types.js';
import { parseCommandArgs, PIPELINES_OPTION, pipelineLocations, UsageError } from './args.js';
import type { Command } from './command.js';

export const graphCommand: Command = {
  name: 'graph',
  summary: 'Draw a pipeline as a Mermaid or Graphviz DOT graph.',
  usage: 'tessera graph [--pipelines PATH] [--pipeline NAME] [--format mermaid|dot]',
  help: 'Prints the DAG of each pipeline (or one): input, nodes with their kind and versions, outputs. Switch branches are dashed.',
  async run(args, io) {
    const { values } = parseCommandArgs(args, { ...PIPELINES_OPTION, pipeline: { type: 'string' }, format: { type: 'string', default: 'mermaid' } }, false);
    if (values.format !== 'mermaid' && values.format !== 'dot') throw new UsageError(`--format must be mermaid or dot; got "${values.format}".`);
    const pipelines = await assertPipelines(pipelineLocations(values.pipelines));
    try {
      const chosen = values.pipeline ? pipelines.filter((p) => p.name === values.pipeline) : pipelines;
      if (chosen.length === 0) throw new UsageError(`No pipeline "${values.pipeline}". Pipelines: ${pipelines.map((p) => p.name).join(', ')}.`);
      for (const pipeline of chosen) io.stdout(values.format === 'dot' ? renderDot(pipeline) : renderMermaid(pipeline));
      return 0;
    } finally {
      await releasePipelines(pipelines);
    }
  },
};

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly branch: boolean;
}

function graphOf(pipeline: PipelineDefinition): { nodes: { id: string; label: string }[]; edges: Edge[] } {
  const nodes = [
    { id: 'input', label: `input (${pipeline.input.length} fields)` },
    ...pipeline.nodes.map((node) => ({ id: node.id, label: `${node.id}\\n${node.kind} ${node.versions.map((v) => v.name).join(', ')}` })),
    ...pipeline.outputs.map((output) => ({ id: `out_${output.name}`, label: `${output.name}` })),
  ];
  const edges: Edge[] = [];
  for (const node of pipeline.nodes) {
    if (node.inputFields.length > 0) edges.push({ from: 'input', to: node.id, branch: false });
    for (const dep of node.dependencies) edges.push({ from: dep, to: node.id, branch: false });
    if (node.kind === 'switch') for (const branch of node.branches) edges.push({ from: branch, to: node.id, branch: true });
  }
  for (const output of pipeline.outputs) {
    const from = refToString(output.ref).split('.')[0] as string;
    edges.push({ from, to: `out_${output.name}`, branch: false });
  }
  return { nodes, edges };
}

/** Mermaid flowchart source. */
export function renderMermaid(pipeline: PipelineDefinition): string {
  const { nodes, edges } = graphOf(pipeline);
  const lines = [`%% pipeline ${pipeline.name}`, 'flowchart LR'];
  for (const node of nodes) {
    const label = node.label.replace(/\\n/g, '<br/>');
    lines.push(node.id === 'input' ? `  input[/"${label}"/]` : node.id.startsWith('out_') ? `  ${node.id}(["${label}"])` : `  ${node.id}["${label}"]`);
  }
  for (const edge of edges) lines.push(`  ${edge.from} ${edge.branch ? '-.->' : '-->'} ${edge.to}`);
  return lines.join('\n');
}

/** Graphviz DOT source. */
export function renderDot(pipeline: PipelineDefinition): string {
  const { nodes, edges } = graphOf(pipeline);
  const lines = [`digraph ${JSON.stringify(pipeline.name)} {`, '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];'];
  for (const node of nodes) {
    const shape = node.id === 'input' ? 'parallelogram' : node.id.startsWith('out_') ? 'ellipse' : 'box';
    lines.push(`  ${JSON.stringify(node.id)} [label=${JSON.stringify(node.label).replace(/\\\\n/g, '\\n')}, shape=${shape}];`);
  }
  for (const edge of edges) lines.push(`  ${JSON.stringify(edge.from)} -> ${JSON.stringify(edge.to)}${edge.branch ? ' [style=dashed]' : ''};`);
  lines.push('}');
  return lines.join('\n');
}
