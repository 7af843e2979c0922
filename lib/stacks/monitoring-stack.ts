import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Monitoring, type MonitoringProps } from '../constructs/monitoring';

export interface MonitoringStackProps extends StackProps {
  /** What the alarms watch and whom they notify (see `MonitoringProps`); the dashboard takes the stack's name. */
  readonly monitoring: Omit<MonitoringProps, 'dashboardName'>;
}

/** The alarms (to the data stack's topic) and the dashboard. */
export class MonitoringStack extends Stack {
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    this.monitoring = new Monitoring(this, 'Monitoring', {
      ...props.monitoring,
      dashboardName: this.stackName,
    });
  }
}
