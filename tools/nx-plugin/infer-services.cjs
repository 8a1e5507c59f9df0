// See infer-targets.cjs: the service half of the workspace's inference plugin.
module.exports = require('./infer-targets.cjs').services;
