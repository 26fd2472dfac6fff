import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { WordCountStack } from '../../cdk/word-count-stack';
const app = new App();
const stack = new WordCountStack(app, 'Nag');
const report = new AwsSolutionsChecks(app).validateScope(stack);
for (const v of report.violations) console.log(v.ruleName, v.severity, v.violatingResources.map((r) => r.constructPath).join(','), '|', v.description.slice(0, 120));
