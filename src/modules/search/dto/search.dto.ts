import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID } from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination.js';
import { MessageDto } from '../../messages/dto/message.dto.js';
import { SEARCH_QUERY_MAX, SEARCH_TERMS_MAX } from '../domain/search-query.js';
import type { SearchHit } from '../search.service.js';

export class SearchMessagesQueryDto extends PageQueryDto {
  @ApiProperty({
    minLength: 1,
    maxLength: SEARCH_QUERY_MAX,
    example: 'deploy 今天',
    description:
      `1 to ${SEARCH_QUERY_MAX} characters. Terms are runs of letters and digits (anything else ` +
      `separates them, operators are not syntax); a message matches when it has every term, ` +
      `case-insensitively. A term of 3 characters or more is found anywhere in the text ` +
      `(substring: "deplo" finds "redeployed", 东京 inside 我们去东京吧 when 3+ characters); a ` +
      `shorter one is a whole word ("go"), or a substring in scripts written without spaces ` +
      `(Chinese, Japanese, Korean, Thai). At most ${SEARCH_TERMS_MAX} terms.`,
  })
  // The rules are the domain's (their own codes); only a repeated ?q= is refused here.
  @IsOptional()
  @IsString({ message: 'q must be a single string' })
  q?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'only this room (members only)' })
  @IsOptional()
  @IsUUID('all', { message: 'roomId must be a UUID' })
  roomId?: string;
}

export class HighlightRangeDto {
  @ApiProperty({ type: 'integer', description: 'first UTF-16 code unit of a hit in `text`' })
  start: number;
  @ApiProperty({ type: 'integer', description: 'one past its last code unit' }) end: number;
}

export class HighlightDto {
  @ApiProperty({
    description:
      'the content, or for a long one an excerpt of about 200 characters around the first hit, with … where cut',
  })
  text: string;
  @ApiProperty({
    type: [HighlightRangeDto],
    description: 'the hits in `text`, in order, not overlapping (plain text: escape it to render)',
  })
  ranges: HighlightRangeDto[];
}

export class SearchHitDto {
  @ApiProperty({ type: MessageDto }) message: MessageDto;
  @ApiProperty({ type: HighlightDto }) highlight: HighlightDto;

  static from(h: SearchHit): SearchHitDto {
    return { message: MessageDto.from(h.message), highlight: h.highlight };
  }
}

export class SearchPageDto {
  @ApiProperty({ type: [SearchHitDto], description: 'newest first' }) items: SearchHitDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
