import { fetchTransport } from '../../../core/elevenlabs/fetch-transport.js';
import { describeClientOver } from './client-contract.js';

describeClientOver('fetch (the core default)', fetchTransport);
