export { TokensModule, TOKENS_ENTITIES } from './lib/tokens.module';
export { TokensService } from './lib/tokens.service';
export { ResolveTokenStage, TOKEN_NOT_FOUND_MESSAGE, TOKEN_SUSPENDED_MESSAGE } from './lib/resolve-token.stage';
export { TokenEntity } from './lib/entities/token.entity';
export { mintToken, maskToken, parseTokenRef, publicIdFromHash, sha256Hex, PUBLIC_TOKEN_ID } from './lib/token-secret';
export type { MintedToken, TokenRef } from './lib/token-secret';
