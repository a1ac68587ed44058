import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import type { Invite } from '../domain/invite.js';
import type { Room } from '../domain/room.js';
import { RoomDto } from './room.dto.js';

export class CreateInviteDto {
  @ApiProperty({ format: 'uuid', description: 'the user to invite' })
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId: string;
}

export class InviteDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) roomId: string;
  @ApiProperty({ format: 'uuid', description: 'the invitee' }) userId: string;
  @ApiProperty({ format: 'uuid' }) invitedBy: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static from(i: Invite): InviteDto {
    return {
      id: i.id,
      roomId: i.roomId,
      userId: i.userId,
      invitedBy: i.invitedBy,
      createdAt: i.createdAt.toISOString(),
    };
  }
}

/** An open invite with the room it leads into. */
export class OpenInviteDto extends InviteDto {
  @ApiProperty({ type: RoomDto }) room: RoomDto;

  static fromPair(p: { invite: Invite; room: Room }): OpenInviteDto {
    return { ...InviteDto.from(p.invite), room: RoomDto.from(p.room) };
  }
}

export class OpenInvitePageDto {
  @ApiProperty({ type: [OpenInviteDto] }) items: OpenInviteDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
