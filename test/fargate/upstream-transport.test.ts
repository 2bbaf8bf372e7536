import { nodeTransport } from '../../fargate/upstream-transport.js';
import { describeClientOver } from '../core/elevenlabs/client-contract.js';

describeClientOver('node:http (the live server)', nodeTransport);
