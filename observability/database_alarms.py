"""PostgreSQL: CPU, connections, and headroom: free storage of an RDS instance, or the capacity an
Aurora Serverless v2 cluster uses (it has no storage to run out of; its limit is maxCapacity).

The data contract says which engine runs (`databaseEngine`) and names it (`databaseIdentifier`: an
instance id, or a cluster id); the dimension follows: DBInstanceIdentifier or DBClusterIdentifier.
Both engines get the same three alarms, so switching engines changes what they watch, not how many.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from observability import metrics
from observability.alarm import AlarmDestination, Comparison, Condition, metric_alarm
from observability.settings import AlarmThresholds
from shared.context import LayerContext

GB = 1024**3


@dataclass(frozen=True)
class Headroom:
    """What runs out first on each engine, and when to alarm."""

    metric: str
    comparison: Comparison
    description: str
    threshold: float


def headroom(engine: str, thresholds: AlarmThresholds) -> Headroom:
    if engine == "aurora-postgresql":
        return Headroom(
            "ACUUtilization",
            "GreaterThanOrEqualToThreshold",
            f"Aurora uses {thresholds.db_acu_percent}% or more of its maximum capacity (raise data:aurora)",
            float(thresholds.db_acu_percent),
        )
    return Headroom(
        "FreeStorageSpace",
        "LessThanThreshold",
        f"less than {thresholds.db_free_storage_gb} GB of free storage (autoscaling is at its ceiling)",
        float(thresholds.db_free_storage_gb * GB),
    )


@dataclass(frozen=True)
class DatabaseAlarmsArgs:
    engine: pulumi.Input[str]  # databaseEngine of the data contract
    identifier: pulumi.Input[str]  # databaseIdentifier of the data contract
    thresholds: AlarmThresholds
    destination: AlarmDestination


class DatabaseAlarms(pulumi.ComponentResource):
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    critical: list[aws.cloudwatch.MetricAlarm]

    def __init__(
        self, name: str, args: DatabaseAlarmsArgs, ctx: LayerContext, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("payments:observability:DatabaseAlarms", name, None, opts)
        limits, destination, engine = args.thresholds, args.destination, pulumi.Output.from_input(args.engine)
        cpu = metric_alarm(
            f"{name}-cpu",
            alarm_type="database-cpu",
            description=f"database CPU at {limits.db_cpu_percent}% or more for 15 minutes",
            metric=metrics.database("CPUUtilization", engine, args.identifier),
            stat="Average",
            # A running database always reports: silence means it is down or unreachable.
            condition=Condition(limits.db_cpu_percent, "GreaterThanOrEqualToThreshold", "breaching", 3),
            destination=destination,
            ctx=ctx,
            parent=self,
        )
        connections = metric_alarm(
            f"{name}-connections",
            alarm_type="database-connections",
            description=f"{limits.db_connections} or more database connections (the proxy's pool included)",
            metric=metrics.database("DatabaseConnections", engine, args.identifier),
            stat="Maximum",
            condition=Condition(limits.db_connections, "GreaterThanOrEqualToThreshold", "notBreaching", 3),
            destination=destination,
            ctx=ctx,
            parent=self,
        )
        room = engine.apply(lambda e: headroom(e, limits))
        low = metric_alarm(
            f"{name}-headroom",
            alarm_type="database-headroom",
            description=room.apply(lambda r: r.description),
            metric=metrics.database(room.apply(lambda r: r.metric), engine, args.identifier),
            stat="Average",
            condition=Condition(room.apply(lambda r: r.threshold), room.apply(lambda r: r.comparison), "breaching"),
            destination=destination,
            ctx=ctx,
            parent=self,
        )
        self.alarms = {"databaseCpu": cpu, "databaseConnections": connections, "databaseHeadroom": low}
        self.critical = [cpu, low]
        self.register_outputs({"alarmNames": {key: alarm.name for key, alarm in self.alarms.items()}})
