import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditChainWriter } from './audit-chain.writer';
import { AuditChainEntity, AuditEventEntity } from './audit-event.entity';
import { AuditConfigurableModule } from './audit-module-definition';
import { AuditQueryService } from './audit-query.service';
import { AuditRetentionService } from './audit-retention.service';
import { AuditSink } from './audit-sink.interface';
import { AuditVerifierService } from './audit-verifier.service';
import { AuditService } from './audit.service';

/**
 * The audit log. Needs a TypeORM connection whose entities include {@link AUDIT_ENTITIES}
 * and whose migrations include {@link AUDIT_MIGRATIONS}.
 *
 * @example
 * AuditModule.forRoot({ isGlobal: true, context: () => requestContext.get() })
 */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEventEntity, AuditChainEntity])],
  providers: [
    AuditService,
    AuditQueryService,
    AuditVerifierService,
    AuditRetentionService,
    AuditChainWriter,
    { provide: AuditSink, useExisting: AuditChainWriter },
  ],
  exports: [AuditService, AuditQueryService, AuditVerifierService, AuditRetentionService],
})
export class AuditModule extends AuditConfigurableModule {}
