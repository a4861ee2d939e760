import type { MigrationInterface, QueryRunner } from 'typeorm';
import { describeEachDatabase, openTestDataSource } from './test-database';

class CreateProbe1700000000000 implements MigrationInterface {
  name = 'CreateProbe1700000000000';
  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE TABLE probe (id serial PRIMARY KEY, note text NOT NULL)');
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE probe');
  }
}

describeEachDatabase('test databases with databaseOptions', (database) => {
  it('runs migrations at start and records them once', async () => {
    const schema = { entities: [], migrations: [CreateProbe1700000000000] };
    const first = await openTestDataSource(database(), schema);
    await first.query('INSERT INTO probe (note) VALUES ($1)', ['kept']);
    await first.destroy();

    const second = await openTestDataSource(database(), schema);
    try {
      expect(await second.query('SELECT note FROM probe')).toEqual([{ note: 'kept' }]);
      const applied = await second.query('SELECT name FROM migrations');
      expect(applied).toEqual([{ name: 'CreateProbe1700000000000' }]);
    } finally {
      await second.destroy();
    }
  });

  it('sizes the pool for the mode: one connection for the embedded database', async () => {
    const dataSource = await openTestDataSource(database(), { entities: [], migrations: [] });
    try {
      const pool = (dataSource.driver as unknown as { master: { options: { max: number } } }).master;
      expect(pool.options.max).toBe(database().embedded ? 1 : 10);
    } finally {
      await dataSource.destroy();
    }
  });
});
