import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/http/api-errors.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { SearchHitDto, SearchMessagesQueryDto, SearchPageDto } from './dto/search.dto.js';
import { SearchRouteErrors } from './search-errors.decorator.js';
import { SearchService } from './search.service.js';

@ApiTags('search')
@ApiBearerAuth()
@Controller('search')
export class SearchController {
  constructor(private readonly search: SearchService) {}

  @Get('messages')
  @ApiOperation({
    summary: 'Search messages in the rooms the caller is a member of',
    description:
      'Newest first, keyset-paginated. Only rooms the caller is a member of at the time of the ' +
      'request; never a deleted message; an edited message by its current text only. Findable ' +
      'as soon as the send is acknowledged.',
  })
  @ApiOkResponse({ type: SearchPageDto })
  @ApiErrors(401, 429)
  @SearchRouteErrors.messages
  async messages(
    @CurrentUser() p: Principal,
    @Query() q: SearchMessagesQueryDto,
  ): Promise<SearchPageDto> {
    const page = await this.search.searchMessages(p.userId, q);
    return { items: page.items.map(SearchHitDto.from), nextCursor: page.nextCursor };
  }
}
