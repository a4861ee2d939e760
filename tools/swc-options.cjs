// The swc settings every TypeScript entry point of the workspace shares (Jest, the
// register hook for test processes and benchmarks): legacy decorators with metadata, as
// NestJS needs, CommonJS output.
module.exports = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    keepClassNames: true,
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
