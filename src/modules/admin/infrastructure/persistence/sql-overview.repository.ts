import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OverviewRepository, type ClusterCounts } from '../../domain/admin.repository.js';

@Injectable()
export class SqlOverviewRepository extends OverviewRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  async heartbeat(instanceId: string, sockets: number, forgetAfterMs: number): Promise<void> {
    await this.ds.query(
      `INSERT INTO admin_instances (instance_id, sockets) VALUES ($1, $2)
       ON CONFLICT (instance_id) DO UPDATE SET sockets = EXCLUDED.sockets, updated_at = now()`,
      [instanceId, sockets],
    );
    // Instances that stopped without saying so (killed) drop out of the table eventually.
    await this.ds.query(
      `DELETE FROM admin_instances WHERE updated_at < now() - make_interval(secs => $1)`,
      [forgetAfterMs / 1000],
    );
  }

  async forget(instanceId: string): Promise<void> {
    await this.ds.query(`DELETE FROM admin_instances WHERE instance_id = $1`, [instanceId]);
  }

  async counts(selfInstanceId: string, freshWithinMs: number): Promise<ClusterCounts> {
    const [r] = await this.ds.query<
      {
        users: string;
        rooms: string;
        messages_today: string;
        other_sockets: string;
        other_instances: string;
      }[]
    >(
      `WITH fresh AS (
         SELECT sockets FROM admin_instances
          WHERE instance_id <> $1 AND updated_at > now() - make_interval(secs => $2)
       )
       SELECT (SELECT count(*) FROM users) AS users,
              (SELECT count(*) FROM rooms) AS rooms,
              (SELECT count(*) FROM messages
                WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
                AS messages_today,
              (SELECT coalesce(sum(sockets), 0) FROM fresh) AS other_sockets,
              (SELECT count(*) FROM fresh) AS other_instances`,
      [selfInstanceId, freshWithinMs / 1000],
    );
    return {
      users: Number(r.users),
      rooms: Number(r.rooms),
      messagesToday: Number(r.messages_today),
      otherSockets: Number(r.other_sockets),
      otherInstances: Number(r.other_instances),
    };
  }
}
