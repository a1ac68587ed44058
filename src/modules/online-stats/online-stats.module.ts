import { Module, type DynamicModule } from '@nestjs/common';

/** Enterprise module (off unless its flag is set); registered by AppModule.forRoot. */
@Module({})
export class OnlineStatsModule {
  static forRoot(): DynamicModule {
    return { module: OnlineStatsModule, imports: [], controllers: [], providers: [] };
  }
}
