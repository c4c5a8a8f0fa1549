/**
 * Names of generated GraphQL fields and types, in one place: the SDL, the selection planner and
 * the docs all agree on them.
 */
import { typePrefix } from '../definition/rules/crossPipelineRule.js';

export const REQUEST_ID_FIELD = 'requestId';
export const NODES_FIELD = 'nodes';
export const ROUTING_FIELD = 'routing';

export const batchFieldName = (pipeline: string): string => `${pipeline}Batch`;
export const inputTypeName = (pipeline: string): string => `${typePrefix(pipeline)}Input`;
export const resultTypeName = (pipeline: string): string => `${typePrefix(pipeline)}Result`;
export const nodesTypeName = (pipeline: string): string => `${typePrefix(pipeline)}Nodes`;
export const nodeOutputsTypeName = (pipeline: string, node: string): string => `${typePrefix(pipeline)}${typePrefix(node)}Outputs`;
