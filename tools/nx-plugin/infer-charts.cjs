// See infer-targets.cjs: the chart half of the workspace's inference plugin.
module.exports = require('./infer-targets.cjs').charts;
