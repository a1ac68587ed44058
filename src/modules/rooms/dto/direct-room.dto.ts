import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsUUID } from 'class-validator';
import { DIRECT_MAX_OTHERS } from '../domain/direct-room.js';

export class OpenDirectRoomDto {
  @ApiProperty({
    type: [String],
    format: 'uuid',
    minItems: 1,
    maxItems: DIRECT_MAX_OTHERS + 1,
    description: `the other members, 1 to ${DIRECT_MAX_OTHERS} (the caller may be named too)`,
  })
  @IsArray()
  @ArrayMinSize(1)
  // The caller may be among them: the 8-others rule (DM_TOO_MANY_USERS) is the domain's.
  @ArrayMaxSize(DIRECT_MAX_OTHERS + 1)
  @IsUUID('all', { each: true, message: 'userIds must be UUIDs' })
  userIds: string[];
}
