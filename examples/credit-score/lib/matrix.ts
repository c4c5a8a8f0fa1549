/**
 * The feature matrix every trainer in this example consumes.
 *
 * Values are stored as float32 because that is what the ONNX models receive: training on the
 * rounded values means a tree threshold or a coefficient sees exactly the numbers onnxruntime will
 * see, so the TypeScript model and the exported graph agree up to float32 arithmetic.
 */

/** A dense row-major matrix of float32 values. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** `rows * cols` values; element (i, j) is at `i * cols + j`. */
  readonly data: Float32Array;
}

/** Packs equal-length rows into a {@link Matrix}, rounding every value to float32. */
export function toMatrix(rows: readonly (readonly number[])[], cols: number): Matrix {
  const data = new Float32Array(rows.length * cols);
  rows.forEach((row, i) => {
    if (row.length !== cols) {
      throw new RangeError(`toMatrix() expects rows of ${cols} values, row ${i} has ${row.length}`);
    }
    data.set(row, i * cols);
  });
  return { rows: rows.length, cols, data };
}

/** Column `j` of `m` as float64 values. */
export function column(m: Matrix, j: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.cols + j]!;
  return out;
}

/** The rows of `m` whose indices are listed in `indices`, in that order. */
export function selectRows(m: Matrix, indices: readonly number[]): Matrix {
  const data = new Float32Array(indices.length * m.cols);
  indices.forEach((r, i) => data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return { rows: indices.length, cols: m.cols, data };
}
