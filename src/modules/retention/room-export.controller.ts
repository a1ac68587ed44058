import { Controller, Get, Logger, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { once } from 'node:events';
import { ApiErrors } from '../../common/http/api-errors.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { RetentionRouteErrors } from './retention-errors.decorator.js';
import { RoomExportService } from './room-export.service.js';

@ApiTags('rooms')
@ApiBearerAuth()
@Controller('rooms/:id/export')
export class RoomExportController {
  private readonly log = new Logger('RoomExport');

  constructor(private readonly exports: RoomExportService) {}

  @Get()
  @ApiOperation({
    summary: "Export a room's messages as NDJSON (owner only)",
    description:
      'One Message (JSON) per line, oldest first (seq order), as they are now: edits applied, a deleted message as its tombstone (deleted: true, content ""). The messages up to the room\'s lastSeq when the export starts; those past retention are gone. Streamed in constant memory, paced by the client.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({
    description: 'the messages, one JSON object per line',
    content: { 'application/x-ndjson': { schema: { type: 'string' } } },
  })
  @ApiErrors(401, 429)
  @RetentionRouteErrors.export
  async export(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Res() res: Response,
  ): Promise<void> {
    // Access is checked before the first byte: a refusal is an ordinary error answer.
    const chunks = await this.exports.open(p, id);
    res.status(200);
    res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="room-${id}.ndjson"`);
    res.setHeader('Cache-Control', 'no-store');
    let gone = false;
    const onClose = () => (gone = true);
    res.once('close', onClose);
    try {
      for await (const chunk of chunks) {
        if (gone) break; // the client left: stop reading (the generator's return ends it)
        // Backpressure: a full socket buffer waits for drain (or the client leaving), so at
        // most one page is in memory whatever the client's speed.
        if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
      if (!gone) res.end();
    } catch (err) {
      // Past the headers an error cannot be an error answer: cut the stream so the client
      // sees it incomplete rather than a clean end.
      this.log.error({ err: String(err), roomId: id }, 'export failed');
      res.destroy();
    } finally {
      res.off('close', onClose);
    }
  }
}
