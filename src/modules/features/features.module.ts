import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { featuresConfig } from '../../config/configuration.js';
import { FeaturesController } from './features.controller.js';

@Module({ imports: [ConfigModule.forFeature(featuresConfig)], controllers: [FeaturesController] })
export class FeaturesModule {}
