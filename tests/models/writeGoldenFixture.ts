// One-off: writes the golden logreg fixture (regenerate only when the export format changes on purpose).
import { writeFileSync } from "node:fs";
import { exportOnnx } from "../../models/onnxExport.ts";
import { predictProba } from "../../models/model.ts";
import { smallLogreg } from "./helpers.ts";
const { model, data } = smallLogreg();
const dir = new URL("../fixtures/models/", import.meta.url).pathname;
await exportOnnx(model, dir + "logreg-golden.onnx", { modelId: "golden-v1", name: "golden", version: 1, pipeline: "fixture" });
const rows = Array.from({ length: 5 }, (_, i) => Array.from(data.X.subarray(i * 3, i * 3 + 3)));
const probabilities = Array.from(predictProba(model, Float64Array.from(rows.flat()), 5));
writeFileSync(dir + "logreg-golden.json", JSON.stringify({ featureNames: data.featureNames, rows, probabilities }, null, 2) + "\n");
