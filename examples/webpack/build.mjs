// Runs webpack with webpack.config.js through its Node API (what `webpack-cli` would do, one
// dependency fewer: webpack-cli 7 wants Node 22).
import webpack from "webpack";
import config from "./webpack.config.js";

const stats = await new Promise((resolve, reject) => webpack(config, (err, s) => (err ? reject(err) : resolve(s))));
if (stats.hasErrors() || stats.hasWarnings()) {
  console.error(stats.toString({ all: false, errors: true, warnings: true }));
  if (stats.hasErrors()) process.exit(1);
}
