// For tests/client/test_reducer_parity.py: reads {"snapshot", "events"} as JSON on stdin,
// prints reduce(snapshot, events) as JSON. Not a test file itself (no .test.js suffix).
import { reduce } from "../js/reducer.js";

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const { snapshot, events } = JSON.parse(input);
  process.stdout.write(JSON.stringify(reduce(snapshot, events)));
});
