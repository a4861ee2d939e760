// Jest reporter that writes one small JSON summary per Jest run:
//   tmp/test-results/<project>-<pid>.json  ->  { project, passed, failed, skipped }
// .ci/run adds these files up into its final "N passed, N failed, N skipped" line.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

// This file lives in <workspace>/tools, so the workspace root is one level up,
// whatever the current directory of the Jest process is.
const workspaceRoot = path.resolve(__dirname, '..');
const outDir = path.join(workspaceRoot, 'tmp', 'test-results');

class JestSummaryReporter {
  constructor(globalConfig, _options) {
    this.globalConfig = globalConfig;
  }

  onRunComplete(contexts, results) {
    const summary = {
      project: projectName(contexts, this.globalConfig),
      passed: results.numPassedTests,
      // A suite that cannot even load (syntax error, failing import) reports no
      // failed tests; count each such suite as one failure.
      failed: results.numFailedTests + (results.numRuntimeErrorTestSuites || 0),
      skipped: (results.numPendingTests || 0) + (results.numTodoTests || 0),
    };
    const safeName = summary.project.replace(/[^A-Za-z0-9._-]+/g, '_');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, `${safeName}-${process.pid}.json`), JSON.stringify(summary) + '\n');
  }
}

// displayName may be a string or { name, color }; fall back to the rootDir's name.
function projectName(contexts, globalConfig) {
  const config = contexts && contexts.size ? [...contexts][0].config : undefined;
  const display = config && config.displayName;
  const name = typeof display === 'string' ? display : display && display.name;
  const rootDir = (config && config.rootDir) || (globalConfig && globalConfig.rootDir) || process.cwd();
  return name || path.basename(rootDir);
}

module.exports = JestSummaryReporter;
